/**
 * The gateway under benchmark (bench child): loads a claiim.yaml through the product loader and starts
 * it with startGateway, logging at `info` to stdout (which bench/run.js sends to /dev/null), exactly as
 * `claiim start` would — except in mode `disabled`, where the bench-only disabledChron replaces the
 * durable log (attribution only; see disabled-chron.ts). Reports the agent and admin URLs over IPC.
 * Usage (by bench/run.js): gateway-host.js CONFIG_FILE durable|disabled
 */
import { loadConfig } from '../gateway/config/load.js';
import { startGateway } from '../gateway/gateway.js';
import { createLogger } from '../gateway/log.js';
import { disabledChron } from './disabled-chron.js';
import { reportUrl, stopOnSignal } from './procs.js';

const [file, mode] = process.argv.slice(2);
if (file === undefined || (mode !== 'durable' && mode !== 'disabled')) throw new Error('usage: gateway-host.js CONFIG_FILE durable|disabled');
const loaded = loadConfig(file);
if (!loaded.ok) throw new Error(`bench config invalid: ${loaded.problems.map((p) => p.code).join(', ')}`);
const gw = await startGateway(loaded.config, loaded.policySet, loaded.secrets, createLogger('info'),
  mode === 'disabled' ? { chron: disabledChron(loaded.config.chron.origin) } : {});
reportUrl(gw.agentUrl, gw.adminUrl);
stopOnSignal(() => gw.close());
