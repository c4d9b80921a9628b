// Deterministic memory management: every tensor made inside scope(fn) is freed
// when fn returns, except the tensors reachable from its return value (which
// move to the enclosing scope) and those passed to keep(). Tensors made outside
// any scope belong to the caller (dispose() them, or let GC's finalizer do it).

/** Anything a scope can own. */
export interface Tracked {
  dispose(): void;
  /** Called when the object leaves scope management: from then on only dispose() or GC frees it. */
  unowned?(): void;
  /** The frame currently owning this object; managed by this module only. */
  scopeFrame?: Set<Tracked>;
}

const frames: Set<Tracked>[] = [];

/** Registers a freshly created object with the innermost scope, if any. */
export function track(obj: Tracked): void {
  const frame = frames[frames.length - 1];
  if (frame) {
    frame.add(obj);
    obj.scopeFrame = frame;
  } else {
    obj.unowned?.();
  }
}

/** Removes obj from scope management: the caller now owns it. Returns obj. */
export function keep<T extends Tracked>(obj: T): T {
  if (obj.scopeFrame) {
    obj.scopeFrame.delete(obj);
    obj.scopeFrame = undefined;
    obj.unowned?.();
  }
  return obj;
}

function isTracked(value: unknown): value is Tracked {
  return typeof value === 'object' && value !== null && 'scopeFrame' in value && typeof (value as Tracked).dispose === 'function';
}

/** Collects tracked objects reachable through arrays, plain objects, Maps and Sets. */
function collectReachable(value: unknown, found: Set<Tracked>, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isTracked(value)) {
    found.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectReachable(item, found, seen);
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      collectReachable(k, found, seen);
      collectReachable(v, found, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) collectReachable(v, found, seen);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const v of Object.values(value)) collectReachable(v, found, seen);
    }
  }
}

/**
 * Runs fn and frees every tensor it created that is not part of its result.
 * fn must be synchronous (libtorch calls are): an async fn would let other
 * code run inside this scope's bookkeeping.
 */
export function scope<T>(fn: () => T): T {
  const frame = new Set<Tracked>();
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    popAndFree(frame, new Set());
    throw err;
  }
  if (result instanceof Promise) {
    popAndFree(frame, new Set());
    throw new Error('scope(fn): fn returned a Promise; scopes are synchronous (run the async part outside and scope each synchronous step)');
  }
  const escaping = new Set<Tracked>();
  collectReachable(result, escaping, new Set());
  popAndFree(frame, escaping);
  return result;
}

function popAndFree(frame: Set<Tracked>, escaping: Set<Tracked>): void {
  const top = frames.pop();
  if (top !== frame) throw new Error('scope stack corrupted: scopes must be nested');
  const parent = frames[frames.length - 1];
  for (const obj of frame) {
    if (escaping.has(obj)) {
      obj.scopeFrame = parent;
      if (parent) parent.add(obj);
      else obj.unowned?.();
    } else {
      obj.scopeFrame = undefined;
      obj.dispose();
    }
  }
}

/** Number of open scopes (for diagnostics and tests). */
export function scopeDepth(): number {
  return frames.length;
}
