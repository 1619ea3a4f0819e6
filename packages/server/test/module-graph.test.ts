import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossingImports, cyclesOf, isModule, partOf, productionFiles, SRC } from './module-graph.ts';

/**
 * Which module may import which (docs/architecture.md, "Modules along the pipeline"). The pipeline runs
 * intake → ingest → inbox → sending / delivery / realtime, and a module imports only modules before it (ingest
 * imports intake and inbox; sending, delivery and realtime import inbox), never back. accounts, auth and audit
 * sit beside the pipeline and every module may use them; oauth builds on accounts and auth, never the reverse.
 * What must happen downstream after a commit is wired in the composition root, not imported upstream.
 */
const ALLOWED: Record<string, readonly string[]> = {
  intake: [],
  ingest: ['intake', 'inbox', 'accounts', 'auth', 'audit'],
  inbox: ['accounts', 'auth', 'audit'],
  sending: ['inbox', 'accounts', 'auth', 'audit'],
  delivery: ['inbox', 'accounts', 'auth', 'audit'],
  realtime: ['inbox', 'accounts', 'auth', 'audit'],
  accounts: ['auth', 'audit'],
  auth: ['audit'],
  audit: [],
  oauth: ['accounts', 'auth', 'audit'],
  'api-keys': ['accounts', 'auth', 'audit'],
  teammates: ['accounts', 'auth', 'audit'],
  operations: ['accounts'],
  health: [],
  web: [],
};

/** The ground every module stands on: they import no module (config least of all) and nothing that assembles. */
const FOUNDATIONS = new Set(['config', 'db', 'shared', 'http', 'instagram', 'jobs', 'events']);

/** Where services are built and wired: the composition root. Nothing else may import it. */
const COMPOSITION = new Set(['app', 'app-services', 'composition']);

const edges = crossingImports();
const describeEdge = (e: { file: string; target: string }) => `${e.file} imports ${e.target}`;

describe('the module import graph', () => {
  it('finds the modules and their imports', () => {
    const modules = new Set(productionFiles().filter(isModule).map(partOf));
    // every module has a row in the table, so a new module states its dependencies
    expect([...modules].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(edges.some((e) => e.from === 'ingest' && e.to === 'inbox')).toBe(true);
  });

  it('has no cycle between modules', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      if (!(e.from in ALLOWED) || !(e.to in ALLOWED)) continue;
      const next = graph.get(e.from) ?? new Set<string>();
      next.add(e.to);
      graph.set(e.from, next);
    }
    expect(cyclesOf(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('lets a module import only the modules its row allows', () => {
    const unexpected = edges.filter((e) => e.from in ALLOWED && e.to in ALLOWED && !(ALLOWED[e.from] ?? []).includes(e.to));
    expect(unexpected.map((e) => `${e.from} → ${e.to}: ${describeEdge(e)}`)).toEqual([]);
  });

  it('keeps config and the other foundations free of modules and of the composition root', () => {
    const upward = edges.filter((e) => FOUNDATIONS.has(e.from) && (e.to in ALLOWED || COMPOSITION.has(e.to)));
    expect(upward.map(describeEdge)).toEqual([]);
  });

  it('lets no module import the composition root', () => {
    const upward = edges.filter((e) => e.from in ALLOWED && (COMPOSITION.has(e.to) || e.to === 'main' || e.to === 'cli'));
    expect(upward.map(describeEdge)).toEqual([]);
  });

  it('builds services only in the composition root', () => {
    const builders = productionFiles()
      .filter((file) => !COMPOSITION.has(partOf(file)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => /\bcreate[A-Z]\w*Service\(/.test(line) && !/\bfunction create[A-Z]\w*Service\(/.test(line))
          .map((line) => `${path.relative(SRC, file)}: ${line.trim()}`),
      );
    expect(builders).toEqual([]);
  });
});
