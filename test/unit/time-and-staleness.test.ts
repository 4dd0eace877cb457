import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeFreshness } from '../../src/refresher/staleness.js';
import { formatDuration, formatRfc3339, parseDuration, parseRfc3339 } from '../../src/common/time.js';

describe('RFC 3339', () => {
  it('formats UTC with second precision', () => assert.equal(formatRfc3339(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05Z'));
  it('formats each time right whatever came before (it remembers the last second)', () => {
    const cases: Array<[string, string]> = [
      ['2026-01-02T03:04:05.001Z', '2026-01-02T03:04:05Z'],
      ['2026-01-02T03:04:05.999Z', '2026-01-02T03:04:05Z'],
      ['2026-01-02T03:04:06.000Z', '2026-01-02T03:04:06Z'],
      ['2026-01-02T03:04:05.500Z', '2026-01-02T03:04:05Z'],
      ['1969-12-31T23:59:59.500Z', '1969-12-31T23:59:59Z'],
      ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00Z'],
    ];
    for (const [input, expected] of cases) assert.equal(formatRfc3339(new Date(input)), expected, input);
    assert.throws(() => formatRfc3339(new Date('not a date')), RangeError);
  });
  it('parses Z, offsets and fractions', () => {
    assert.equal(parseRfc3339('2026-01-02T03:04:05Z')?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.equal(parseRfc3339('2026-01-02T05:04:05+02:00')?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.equal(parseRfc3339('2026-01-02T03:04:05.5Z')?.toISOString(), '2026-01-02T03:04:05.500Z');
  });
  for (const garbage of ['tomorrow', '2026-01-02', '1767323045', '2026-13-45T99:00:00Z', '']) {
    it(`rejects ${JSON.stringify(garbage)}`, () => assert.equal(parseRfc3339(garbage), undefined));
  }
});

describe('durations', () => {
  const cases: Array<[string, number | undefined]> = [
    ['6h', 6 * 3_600_000], ['90m', 5_400_000], ['1h30m', 5_400_000], ['45s', 45_000], ['250ms', 250], ['1d', 86_400_000],
    ['6', undefined], ['h', undefined], ['-1h', undefined], ['six hours', undefined],
  ];
  for (const [text, ms] of cases) it(`parseDuration(${text})`, () => assert.equal(parseDuration(text), ms));
  it('formats for humans', () => {
    assert.equal(formatDuration(11 * 3_600_000 + 59 * 60_000), '11h 59m');
    assert.equal(formatDuration(-(2 * 3_600_000 + 3 * 60_000)), '-2h 3m');
    assert.equal(formatDuration(26 * 3_600_000), '1d 2h');
    assert.equal(formatDuration(59_000), '0m');
  });
});

describe('judgeFreshness', () => {
  const now = new Date('2026-11-21T12:00:00Z');
  const sixHours = 6 * 3_600_000;
  const cases: Array<[string | undefined, string, boolean]> = [
    [undefined, 'missing', true],
    ['', 'missing', true],
    ['not-a-date', 'unparseable', true],
    ['2026-11-21T11:00:00Z', 'expired', true],
    ['2026-11-21T18:00:00Z', 'expiring', true],
    ['2026-11-21T18:00:01Z', 'fresh', false],
    ['2026-11-22T00:00:00Z', 'fresh', false],
  ];
  for (const [annotation, reason, stale] of cases) {
    it(`${JSON.stringify(annotation)} is ${reason}`, () => {
      const verdict = judgeFreshness(annotation, now, sixHours);
      assert.equal(verdict.reason, reason);
      assert.equal(verdict.stale, stale);
    });
  }
});
