export function registerNativeRoutes(..._a: unknown[]): void {}
