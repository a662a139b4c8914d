// Plain-text output: aligned tables, times and durations.

/** Columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** 2024-05-01T10:00:00Z: an ISO time to the second. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 1.5 s, 3 m 20 s, 2 h 5 m, 120 ms. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))} s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return joinUnits([Math.floor(seconds / 60), 'm'], [seconds % 60, 's']);
  return joinUnits([Math.floor(seconds / 3_600), 'h'], [Math.floor((seconds % 3_600) / 60), 'm']);
}

function joinUnits(...parts: [number, string][]): string {
  return parts
    .filter(([value], i) => i === 0 || value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

export function ago(date: Date, now = new Date()): string {
  return `${duration(Math.max(0, now.getTime() - date.getTime()))} ago`;
}
