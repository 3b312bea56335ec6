import { type Cell, median } from './report';
import { type AdapterName, SCENARIOS, type ScenarioId, type StackName } from './scenarios';

/** The latency target of the performance issue: p99 at 50 connections within this factor of bare's. */
export const P99_TARGET = 1.5;

/** This stack's p99 / bare's p99, run by run (same adapter, same run), then the median. */
function p99Ratio(cell: Cell | undefined, bare: Cell | undefined): number | undefined {
  if (cell?.state !== 'ok' || bare?.state !== 'ok') return undefined;
  const ratios = cell.samples
    .map((s, run) => s.p99 / (bare.samples[run]?.p99 ?? Number.NaN))
    .filter((r) => Number.isFinite(r));
  return ratios.length ? median(ratios) : undefined;
}

function ratioCell(ratio: number | undefined, target: boolean): string {
  if (ratio === undefined) return '';
  return `${ratio.toFixed(2)}×${target ? ` ${ratio <= P99_TARGET ? '✅' : '❌'}` : ''}`;
}

/** p99 latency of each stack against bare's, one row per scenario and adapter. */
export function p99Table(
  cells: readonly Cell[],
  adapters: readonly AdapterName[],
  scenarios: readonly ScenarioId[],
): string {
  const lines = [
    `| scenario | adapter | bare p99 ms | rampart p99 ms | rampart / bare (target ≤ ${P99_TARGET}×) | usual p99 ms | usual / bare |`,
    `|${' --- |'.repeat(7)}`,
  ];
  const p99 = (cell: Cell | undefined): string =>
    cell?.state === 'ok' && cell.median ? cell.median.p99.toFixed(0) : '';
  for (const scenario of scenarios) {
    const title = SCENARIOS.find((s) => s.id === scenario)?.title ?? scenario;
    for (const adapter of adapters) {
      const get = (stack: StackName): Cell | undefined =>
        cells.find((c) => c.adapter === adapter && c.scenario === scenario && c.stack === stack);
      const [bare, rampart, usual] = [get('bare'), get('rampart'), get('usual')];
      lines.push(
        `| ${title} | ${adapter} | ${p99(bare)} | ${p99(rampart)} | ${ratioCell(p99Ratio(rampart, bare), true)} | ` +
          `${p99(usual)} | ${ratioCell(p99Ratio(usual, bare), false)} |`,
      );
    }
  }
  return lines.join('\n');
}
