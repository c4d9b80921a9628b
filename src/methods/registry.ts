// Unlearning methods by name. Each method file registers itself; ./index.ts imports them all.
import type { UnlearningMethod } from './types';

const methods = new Map<string, UnlearningMethod>();

export function registerMethod(method: UnlearningMethod): UnlearningMethod {
  if (methods.has(method.name)) throw new Error(`unlearning method '${method.name}' is registered twice`);
  methods.set(method.name, method);
  return method;
}

export function getMethod(name: string): UnlearningMethod {
  const method = methods.get(name);
  if (!method) throw new Error(`unknown unlearning method '${name}' (known: ${[...methods.keys()].join(', ')})`);
  return method;
}

export function listMethods(): UnlearningMethod[] {
  return [...methods.values()];
}
