// Pure: plain-text columns as kubectl prints them (left-aligned, two spaces apart, no trailing blanks).
export function renderColumns(header: readonly string[], lines: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return `${[format(header), ...lines.map(format)].join('\n')}\n`;
}
