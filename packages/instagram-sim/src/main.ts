#!/usr/bin/env node
import { loadConfig } from './config.ts';
import { createSimulator } from './index.ts';

const config = loadConfig();
const sim = createSimulator({ stateFile: config.stateFile, logger: config.logger, host: config.host });
const url = await sim.listen(config.port);
sim.app.log.info(`Instagram platform simulator on ${url} (control API: ${url}/_sim, state: ${config.stateFile ?? 'memory'})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
