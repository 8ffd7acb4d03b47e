// The event-loop monitor's memory: liveness must fail right after a stall, keep failing while
// the stall is in the current or the last complete window, and recover once both windows have
// passed without one. Driven with explicit times, so each case is exact; the real timer and a
// real stall are covered by health.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DelayWindows } from '../../src/lifecycle/event-loop-monitor.js';

const WINDOW_MS = 1000;
const TICK_MS = 100;

/** Records on-time ticks from `from` (exclusive) to `to` (inclusive). */
function onTime(windows: DelayWindows, from: number, to: number): void {
  for (let now = from + TICK_MS; now <= to; now += TICK_MS) windows.record(0, now);
}

test('a stall is reported at once and forgotten once two windows pass without one', () => {
  const windows = new DelayWindows(WINDOW_MS, 0);
  onTime(windows, 0, 300);
  windows.record(800, 400);
  assert.equal(windows.maxMs, 800, 'the stall, right after it');
  onTime(windows, 400, 1900);
  assert.equal(windows.maxMs, 800, 'still within the window after the one it happened in');
  onTime(windows, 1900, 2100);
  assert.equal(windows.maxMs, 0, 'two windows later the stall is forgotten');
});

test('a stall at the end of a window is still reported after the window rolls over', () => {
  const windows = new DelayWindows(WINDOW_MS, 0);
  onTime(windows, 0, 900);
  windows.record(700, 950);
  windows.record(0, 1000); // this tick closes the first window
  assert.equal(windows.maxMs, 700, 'kept as the last complete window');
  onTime(windows, 1000, 1900);
  assert.equal(windows.maxMs, 700, 'kept for the whole next window');
});

test('the worst of several stalls counts, and a later smaller one does not hide it', () => {
  const windows = new DelayWindows(WINDOW_MS, 0);
  windows.record(300, 100);
  windows.record(900, 200);
  windows.record(150, 300);
  assert.equal(windows.maxMs, 900);
});
