import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  estimateWaitMinutes,
  positionAnnouncement,
  queueAnnouncement,
  waitAnnouncement,
} from './announce.js';

const stats = (answered: number, ahtSec: number, loggedIn: number) => ({ answered, ahtSec, loggedIn });

describe('queue announcements', () => {
  it('says the position: "Quý khách là người thứ ba trong hàng chờ", "You are caller number 3 in the queue"', () => {
    assert.deepEqual(positionAnnouncement(3, 'vi'), ['caller-number', 'thu', '3', 'in-queue']);
    assert.deepEqual(positionAnnouncement(1, 'vi'), ['caller-number', 'thu', 'nhat', 'in-queue']);
    assert.deepEqual(positionAnnouncement(3, 'en'), ['caller-number', '3', 'in-queue']);
  });
  it('estimates from average handle time per logged-in agent', () => {
    assert.equal(estimateWaitMinutes(stats(10, 120, 3), 3), 2); // 3 × 120 s / 3 agents
    assert.equal(estimateWaitMinutes(stats(10, 30, 2), 1), 0); // 15 s: under a minute
    assert.equal(estimateWaitMinutes(stats(10, 150, 1), 1), 3); // 2.5 min rounds to 3
  });
  it('says nothing about the wait with too little data', () => {
    assert.equal(estimateWaitMinutes(stats(4, 120, 3), 3), null);
    assert.equal(estimateWaitMinutes(stats(50, 0, 3), 3), null);
    assert.equal(estimateWaitMinutes(stats(50, 120, 0), 3), null);
    assert.deepEqual(queueAnnouncement(stats(1, 100, 1), 2, 'en'), ['caller-number', '2', 'in-queue']);
  });
  it('builds the wait sentence with the right unit', () => {
    assert.deepEqual(waitAnnouncement(2, 'en'), ['estimated-wait', '2', 'minutes']);
    assert.deepEqual(waitAnnouncement(1, 'en'), ['estimated-wait', '1', 'minute']);
    assert.deepEqual(waitAnnouncement(25, 'vi'), ['estimated-wait', '2', 'muoi', 'lam', 'minutes']);
    assert.deepEqual(waitAnnouncement(0, 'vi'), ['wait-under-minute']);
    assert.deepEqual(queueAnnouncement(stats(10, 120, 3), 3, 'en'), [
      ...['caller-number', '3', 'in-queue'],
      ...['estimated-wait', '2', 'minutes'],
    ]);
  });
});
