// The helpers the benches' config modules share to read their settings from the environment. Each bench reads its
// environment once, in its own config module (bench/lib/*-config.ts), as the server does (STYLE: config once).

/** A whole number in min..max from `env[name]`, or `fallback` when unset. */
export function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = Number(env[name] ?? fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
  return v;
}

/** A comma-separated list, each item trimmed. */
export const listSetting = (value: string | undefined, fallback: string): string[] => (value ?? fallback).split(',').map((e) => e.trim());
