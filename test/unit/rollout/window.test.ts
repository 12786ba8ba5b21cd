// secretsync.io/rollout-window: a cron expression whose matching minutes are open.
import { CronError } from '../../../src/runtime/cron';
import { parseRolloutWindow, readRolloutWindow, windowState } from '../../../src/controllers/rollout/window';

const utc = (s: string) => Date.parse(`${s}Z`);

test('open during every minute the expression matches, to the end of the last one', () => {
  const w = parseRolloutWindow('0-59 2-4 * * *');
  expect(windowState(w, utc('2026-12-05T01:59:59.999'))).toEqual({
    open: false,
    opensAt: utc('2026-12-05T02:00:00'),
  });
  expect(windowState(w, utc('2026-12-05T02:00:00'))).toEqual({ open: true });
  expect(windowState(w, utc('2026-12-05T04:59:59.999'))).toEqual({ open: true });
  expect(windowState(w, utc('2026-12-05T05:00:00'))).toEqual({
    open: false,
    opensAt: utc('2026-12-06T02:00:00'),
  });
});

test('days of the week, lists and a time zone', () => {
  const w = parseRolloutWindow('TZ=Europe/Berlin * 22-23,0-5 * * MON-FRI');
  expect(w).toEqual({ expression: '* 22-23,0-5 * * MON-FRI', timeZone: 'Europe/Berlin' });
  // Friday 2026-12-04 21:30 UTC is 22:30 in Berlin (CET, UTC+1)
  expect(windowState(w, utc('2026-12-04T21:30:00'))).toEqual({ open: true });
  // Saturday 10:00 UTC: closed until Monday 00:00 Berlin = Sunday 23:00 UTC
  expect(windowState(w, utc('2026-12-05T10:00:00'))).toEqual({
    open: false,
    opensAt: utc('2026-12-06T23:00:00'),
  });
  expect(parseRolloutWindow('CRON_TZ=UTC @hourly')).toEqual({ expression: '@hourly', timeZone: 'UTC' });
});

test('invalid values are refused with a message that says what to write', () => {
  for (const bad of ['', '* * *', '99 * * * *', 'TZ=Mars/Base * * * * *', 'every night'])
    expect(() => parseRolloutWindow(bad)).toThrow(CronError);
  const r = readRolloutWindow('* 25 * * *');
  expect('invalid' in r && r.invalid).toMatch(/invalid cron schedule "\* 25 \* \* \*".*expected 5 fields/);
});
