import type { LoadSample } from './load';
import { type AdapterName, SCENARIOS, type ScenarioId, STACKS, type StackName } from './scenarios';

/** Why a cell has no numbers. */
export type CellState = 'ok' | 'not-applicable' | 'not-enforced' | 'error';

/** Everything measured for one stack on one scenario and adapter. */
export interface Cell {
  adapter: AdapterName;
  scenario: ScenarioId;
  stack: StackName;
  state: CellState;
  reason?: string;
  /** One sample per run, in run order. */
  samples: LoadSample[];
  /** This stack's rps / bare's rps, one per run (same adapter, same run). */
  ratios: number[];
  /** Bare's server CPU per request / this stack's, one per run. */
  cpuRatios?: number[];
  median?: { rps: number; p50: number; p99: number; ratio?: number; cpuUsPerRequest?: number; cpuRatio?: number };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Fills `median` and `ratios` of every cell from the samples. */
export function summarise(cells: Cell[]): void {
  for (const cell of cells) {
    if (cell.samples.length === 0) continue;
    const bare = cells.find((c) => c.adapter === cell.adapter && c.scenario === cell.scenario && c.stack === 'bare');
    cell.ratios =
      cell.stack === 'bare' || !bare
        ? []
        : cell.samples
            .map((s, run) => (bare.samples[run] ? s.rps / bare.samples[run].rps : Number.NaN))
            .filter(Number.isFinite);
    const cpu = cell.samples.map((s) => s.cpuUsPerRequest).filter((x): x is number => x !== undefined);
    cell.cpuRatios =
      cell.stack === 'bare' || !bare
        ? []
        : cell.samples
            .map((s, run) => (bare.samples[run]?.cpuUsPerRequest ?? Number.NaN) / (s.cpuUsPerRequest ?? Number.NaN))
            .filter(Number.isFinite);
    cell.median = {
      rps: median(cell.samples.map((s) => s.rps)),
      p50: median(cell.samples.map((s) => s.p50)),
      p99: median(cell.samples.map((s) => s.p99)),
      ratio: cell.ratios.length ? median(cell.ratios) : undefined,
      cpuUsPerRequest: cpu.length ? median(cpu) : undefined,
      cpuRatio: cell.cpuRatios.length ? median(cell.cpuRatios) : undefined,
    };
  }
}

const fmtRps = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (n < 10 ? n.toFixed(1) : Math.round(n).toString());

function stateLabel(cell: Cell | undefined): string {
  if (!cell) return '–';
  switch (cell.state) {
    case 'ok':
      return '';
    case 'not-applicable':
      return 'n/a';
    case 'not-enforced':
      return 'n/a (not enforced)';
    case 'error':
      return 'error';
    default: {
      const never: never = cell.state;
      return String(never);
    }
  }
}

function failures(cell: Cell): string {
  const bad = cell.samples.reduce((n, s) => n + s.non2xx + (s.mismatches ?? 0) + s.errors + s.timeouts, 0);
  return bad > 0 ? ` ⚠${bad}` : '';
}

function rpsCell(cell: Cell | undefined): string {
  if (!cell?.median || cell.state !== 'ok') return stateLabel(cell);
  return `${fmtRps(cell.median.rps)}${failures(cell)}`;
}

function latencyCell(cell: Cell | undefined): string {
  if (!cell?.median || cell.state !== 'ok') return '';
  return `${fmtMs(cell.median.p50)} / ${fmtMs(cell.median.p99)}`;
}

function ratioCell(cell: Cell | undefined): string {
  return cell?.median?.ratio !== undefined && cell.state === 'ok' ? cell.median.ratio.toFixed(2) : '';
}

function targetCell(adapter: AdapterName, scenario: ScenarioId, cell: Cell | undefined, cpu = false): string {
  const target = SCENARIOS.find((s) => s.id === scenario)?.target;
  if (target === undefined || adapter !== 'fastify') return '';
  const ratio = cell?.state === 'ok' ? (cpu ? cell.median?.cpuRatio : cell.median?.ratio) : undefined;
  if (ratio === undefined) return `≥ ${target.toFixed(2)}`;
  return `≥ ${target.toFixed(2)} ${ratio >= target ? '✅' : '❌'}`;
}

/** The results table: one row per scenario and adapter, the three stacks side by side. */
export function macroTable(
  cells: readonly Cell[],
  adapters: readonly AdapterName[],
  scenarios: readonly ScenarioId[],
): string {
  const header =
    '| scenario | adapter | bare req/s | bare p50/p99 ms | rampart req/s | rampart p50/p99 ms | rampart/bare | target | usual req/s | usual p50/p99 ms | usual/bare |';
  const lines = [header, `|${' --- |'.repeat(11)}`];
  for (const scenario of scenarios) {
    const title = SCENARIOS.find((s) => s.id === scenario)?.title ?? scenario;
    for (const adapter of adapters) {
      const get = (stack: StackName): Cell | undefined =>
        cells.find((c) => c.adapter === adapter && c.scenario === scenario && c.stack === stack);
      const [bare, rampart, usual] = STACKS.map(get);
      lines.push(
        `| ${title} | ${adapter} | ${rpsCell(bare)} | ${latencyCell(bare)} | ${rpsCell(rampart)} | ${latencyCell(rampart)} | ` +
          `${ratioCell(rampart)} | ${targetCell(adapter, scenario, rampart)} | ${rpsCell(usual)} | ${latencyCell(usual)} | ${ratioCell(usual)} |`,
      );
    }
  }
  return lines.join('\n');
}

function cpuCell(cell: Cell | undefined): string {
  const us = cell?.state === 'ok' ? cell.median?.cpuUsPerRequest : undefined;
  return us === undefined ? stateLabel(cell) : us.toFixed(0);
}

function cpuRatioCell(cell: Cell | undefined): string {
  const ratio = cell?.state === 'ok' ? cell.median?.cpuRatio : undefined;
  return ratio === undefined ? '' : ratio.toFixed(2);
}

/** Server CPU per request and the CPU ratio to bare, one row per scenario and adapter. */
export function cpuTable(
  cells: readonly Cell[],
  adapters: readonly AdapterName[],
  scenarios: readonly ScenarioId[],
): string {
  const lines = [
    '| scenario | adapter | bare µs/req | rampart µs/req | rampart CPU ratio | target | usual µs/req | usual CPU ratio |',
    `|${' --- |'.repeat(8)}`,
  ];
  for (const scenario of scenarios) {
    const title = SCENARIOS.find((s) => s.id === scenario)?.title ?? scenario;
    for (const adapter of adapters) {
      const [bare, rampart, usual] = STACKS.map((stack) =>
        cells.find((c) => c.adapter === adapter && c.scenario === scenario && c.stack === stack),
      );
      lines.push(
        `| ${title} | ${adapter} | ${cpuCell(bare)} | ${cpuCell(rampart)} | ${cpuRatioCell(rampart)} | ` +
          `${targetCell(adapter, scenario, rampart, true)} | ${cpuCell(usual)} | ${cpuRatioCell(usual)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Reasons for every cell without numbers, so "n/a" and "error" are never unexplained. */
export function notes(cells: readonly Cell[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const cell of cells) {
    if (cell.state === 'ok' || !cell.reason || cell.state === 'not-applicable') continue;
    const line = `- ${cell.stack} / ${cell.scenario}: ${cell.state}: ${cell.reason.replace(/\s+/g, ' ').slice(0, 240)}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  const warned = cells.filter((c) => c.state === 'ok' && failures(c));
  for (const cell of warned) {
    const statuses = cell.samples.map(
      (s) =>
        `${s.non2xx} non-2xx${s.statusCodes ? ` (${JSON.stringify(s.statusCodes)})` : ''}, ` +
        `${s.errors} errors, ${s.timeouts} timeouts${s.mismatches ? `, ${s.mismatches} GraphQL errors` : ''}`,
    );
    lines.push(`- ⚠ ${cell.stack} / ${cell.adapter} / ${cell.scenario}: ${statuses.join('; ')}`);
  }
  return lines.join('\n');
}
