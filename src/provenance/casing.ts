// One key casing in JSON records: snake_case. Internal TypeScript objects stay camelCase; records
// are converted when written and read back in either casing (records written before the switch).

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A flat object with snake_case keys. */
export function snakeKeys<T extends object>(values: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [snakeCase(k), v]));
}

/** A flat object with camelCase keys (accepts snake_case or camelCase input). */
export function camelKeys(values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [camelCase(k), v]));
}
