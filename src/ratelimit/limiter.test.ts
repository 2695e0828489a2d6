import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import { MemoryCounterStore, RateLimiter, WINDOW_MS, rateLimitHeaders } from './limiter.js';

test('admits exactly the limit under concurrent requests, then resets at the window boundary', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 3));
  const limiter = new RateLimiter(new MemoryCounterStore(clock), clock);
  const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.check(1, 'GET /x', 1000, 10)));
  assert.equal(decisions.filter((d) => d.allowed).length, 10);
  const remaining = decisions.map((d) => d.remainingRoute).sort((a, b) => b - a);
  assert.deepEqual(remaining.slice(0, 10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.ok(
    remaining.every((r) => r >= 0),
    'remaining never goes below 0',
  );
  const denied = decisions.find((d) => !d.allowed)!;
  assert.equal(denied.retryAfterSec, 7, 'whole seconds to the end of the 10 s window');
  assert.equal(rateLimitHeaders(denied)['Retry-After'], '7');

  clock.advance(WINDOW_MS - 3000 - 1);
  assert.equal((await limiter.check(1, 'GET /x', 1000, 10)).allowed, false, 'still the same window');
  clock.advance(1);
  const fresh = await limiter.check(1, 'GET /x', 1000, 10);
  assert.equal(fresh.allowed, true, 'a new window starts at the boundary');
  assert.equal(fresh.remainingRoute, 9);
});

test('tenant and route counters are independent, and tenants never share counters', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const limiter = new RateLimiter(new MemoryCounterStore(clock), clock);
  for (let i = 0; i < 3; i++) assert.ok((await limiter.check(1, 'GET /a', 3, 100)).allowed);
  const overTenant = await limiter.check(1, 'GET /b', 3, 100);
  assert.equal(overTenant.allowed, false, 'the tenant limit spans routes');
  assert.equal(overTenant.remainingTenant, 0);
  assert.equal(overTenant.remainingRoute, 100, 'a refused request counts on no counter');
  assert.ok((await limiter.check(2, 'GET /a', 3, 100)).allowed, 'another tenant has its own budget');
});

test('Retry-After is at least one second right before the boundary', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 9, 999));
  const limiter = new RateLimiter(new MemoryCounterStore(clock), clock);
  await limiter.check(1, 'r', 1, 1);
  const d = await limiter.check(1, 'r', 1, 1);
  assert.equal(d.allowed, false);
  assert.equal(d.retryAfterSec, 1);
});

test('refused requests spend no budget: a route held at its limit leaves the tenant budget to the others', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const limiter = new RateLimiter(new MemoryCounterStore(clock), clock);
  const onA = [];
  for (let i = 0; i < 12; i++) onA.push(await limiter.check(1, 'GET /a', 5, 2));
  assert.equal(onA.filter((d) => d.allowed).length, 2);
  assert.ok(
    onA.slice(2).every((d) => d.remainingTenant === 3),
    'the 10 refusals left the tenant at 3',
  );
  const onB = [];
  for (let i = 0; i < 4; i++) onB.push(await limiter.check(1, 'GET /b', 5, 100));
  assert.deepEqual(
    onB.map((d) => d.allowed),
    [true, true, true, false],
    'the tenant admits exactly its limit in all',
  );
});
