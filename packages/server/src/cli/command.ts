import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config.ts';
import type { buildApp as BuildApp } from '../app.ts';

export type CommandContext = {
  config: Config;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  buildApp: typeof BuildApp;
};

export type Command = {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext): Promise<number>;
};
