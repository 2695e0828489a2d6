import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { invalid } from '../errors.js';
import { createIvrFlow, listIvrFlows, updateIvrFlow } from '../domain/ivr-flows.js';
import { getTenant } from '../domain/tenants.js';
import type { Db } from '../store/db.js';
import { printResult } from './output.js';

/** What the IVR commands need from the CLI's entry point (src/cli/main.ts). */
export interface IvrCommandDeps {
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
  tenantId(raw: string): number;
}

function readFlowFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw invalid(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** `tongdai ivr list | import` (docs/ivr.md): flows of a tenant; a file imported under an existing name is a new version. */
export function registerIvrCommands(program: Command, deps: IvrCommandDeps): void {
  const ivr = program.command('ivr').description("manage a tenant's IVR flows");
  const inTenant = <T>(raw: string, fn: (db: Db, tenantId: number) => Promise<T>) =>
    deps.withDb(async (db) => {
      const id = deps.tenantId(raw);
      await getTenant(db, id);
      return fn(db, id);
    });

  ivr
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const flows = await inTenant(o.tenant, (db, id) => listIvrFlows(db, id));
      const rows = flows.map((f) => ({
        id: f.id,
        name: f.name,
        version: f.currentVersion,
        numbers: f.numbers,
      }));
      const human = rows.map((r) => `${r.id}\t${r.name}\tv${r.version}\t${r.numbers.join(',')}`).join('\n');
      printResult(deps.json(), { flows: rows }, human || 'no IVR flows');
    });

  ivr
    .command('import')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--file <path>', 'the flow document (JSON)')
    .requiredOption('--name <name>', 'flow name: an existing flow of that name gets a new version')
    .action(async (o: { tenant: string; file: string; name: string }) => {
      const flow = readFlowFile(o.file);
      const f = await inTenant(o.tenant, async (db, id) => {
        const existing = (await listIvrFlows(db, id)).find((x) => x.name === o.name.trim());
        return existing
          ? updateIvrFlow(db, systemClock, id, existing.id, { flow })
          : createIvrFlow(db, systemClock, id, { name: o.name, flow });
      });
      printResult(
        deps.json(),
        { flow_id: f.id, name: f.name, version: f.currentVersion },
        `imported ${f.name}: flow ${f.id} version ${f.currentVersion}`,
      );
    });
}
