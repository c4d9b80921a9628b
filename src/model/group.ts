// A named group of child modules, so model trees can mirror Hugging Face's
// parameter names (`attention.self.query`, `attention.output.LayerNorm`) without
// a class per nesting level.
import { Module } from '../nn/module';

export type Group<T extends Record<string, Module>> = Module & Readonly<T>;

class GroupModule extends Module {
  constructor(children: Record<string, Module>) {
    super();
    for (const [name, module] of Object.entries(children)) {
      if (name in this) throw new Error(`group(): '${name}' clashes with a Module member`);
      this.child(name, module);
      Object.defineProperty(this, name, { value: module, enumerable: true });
    }
  }
}

/** group({ dense: new Linear(..), LayerNorm: new LayerNorm(..) }).dense, registered as 'dense'. */
export function group<T extends Record<string, Module>>(children: T): Group<T> {
  return new GroupModule(children) as Group<T>;
}
