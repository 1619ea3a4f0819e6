import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** packages/server/src */
export const SRC = path.resolve(import.meta.dirname, '../src');

/** Test files and test-only support (test worlds, fixtures, receivers) are not part of the production graph. */
function isTestFile(file: string): boolean {
  const name = path.basename(file);
  return name.endsWith('.test.ts') || /(^|-)test-/.test(name);
}

export function productionFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productionFiles(full));
    else if (entry.name.endsWith('.ts') && !isTestFile(full)) out.push(full);
  }
  return out.sort();
}

/**
 * The part of the server a file belongs to: `modules/<name>/…` is the module <name>; config.ts and config/ are
 * `config`; everything else is named by its first folder (db, shared, http, composition, …) or file (app.ts).
 */
export function partOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts[0] === 'modules' && parts.length > 2) return parts[1] ?? '';
  if (parts[0] === 'config.ts' || parts[0] === 'config') return 'config';
  return parts.length > 1 ? (parts[0] ?? '') : (parts[0] ?? '').replace(/\.ts$/, '');
}

export function isModule(file: string): boolean {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts[0] === 'modules' && parts.length > 2;
}

/** Relative import, export-from and dynamic import() specifiers of a file, resolved to absolute paths. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
    .map((spec) => path.resolve(path.dirname(file), spec));
}

export type Edge = { from: string; to: string; file: string; target: string };

/** Every import that crosses from one part of the server into another. */
export function crossingImports(files = productionFiles()): Edge[] {
  const edges: Edge[] = [];
  for (const file of files) {
    for (const target of importsOf(file)) {
      const from = partOf(file);
      const to = partOf(target);
      if (from !== to) edges.push({ from, to, file: path.relative(SRC, file), target: path.relative(SRC, target) });
    }
  }
  return edges;
}

/** The cycles of a directed graph given as adjacency sets, each as the list of nodes around it. */
export function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
