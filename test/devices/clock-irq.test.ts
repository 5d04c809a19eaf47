import assert from "node:assert/strict";
import { InterruptLines, VirtualClock } from "../../devices";

describe("devices/clock", () => {
  it("counts soft events (wait timeouts) apart: pending, cancelled and run", () => {
    const clock = new VirtualClock();
    const hard = clock.schedule({ delay: 10 }, () => undefined);
    const soft = clock.schedule({ delay: 5, soft: true }, () => undefined);
    assert.equal(clock.hardEventsPending(), 1);
    assert.equal(clock.nextEventAt(), 5, "a soft event is still an event");
    hard.cancel();
    assert.equal(clock.hardEventsPending(), 0);
    clock.schedule({ delay: 20 }, () => undefined);
    assert.equal(clock.hardEventsPending(), 1);
    clock.advance(30);
    assert.equal(clock.hardEventsPending(), 0);
    assert.equal(soft.cancel(), false, "it ran");
  });

  it("drops an event that is no longer live before it is due: a wait that ended leaves nothing", () => {
    const clock = new VirtualClock();
    let waiting = true;
    let ran = false;
    clock.schedule({ delay: 500, soft: true, live: () => waiting }, () => (ran = true));
    clock.schedule({ delay: 10 }, () => undefined);
    assert.equal(clock.nextEventAt(), 10);
    clock.advance(10);
    waiting = false;
    assert.equal(clock.nextEventAt(), undefined, "no 500 ns tail");
    clock.advance(1000);
    assert.equal(ran, false);
  });

  it("starts at 0 and moves only on advance", () => {
    const clock = new VirtualClock();
    assert.equal(clock.now(), 0);
    clock.advance(1500);
    assert.equal(clock.now(), 1500);
  });

  it("runs due events in time order, each seeing its own time", () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule({ delay: 30 }, () => seen.push(`c@${clock.now()}`));
    clock.schedule({ at: 10 }, () => seen.push(`a@${clock.now()}`));
    clock.schedule({ delay: 20 }, () => seen.push(`b@${clock.now()}`));
    clock.advance(25);
    assert.deepEqual(seen, ["a@10", "b@20"]);
    assert.equal(clock.now(), 25);
    clock.advance(5);
    assert.deepEqual(seen, ["a@10", "b@20", "c@30"]);
  });

  it("breaks ties in scheduling order (FIFO)", () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) clock.schedule({ at: 100 }, () => seen.push(i));
    clock.advance(100);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("runs events scheduled by an event if they fall due within the same advance", () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule({ at: 10 }, () => {
      seen.push("first");
      clock.schedule({ delay: 0 }, () => seen.push(`same-instant@${clock.now()}`));
      clock.schedule({ delay: 5 }, () => seen.push(`later@${clock.now()}`));
    });
    clock.schedule({ at: 10 }, () => seen.push("second"));
    clock.advance(20);
    assert.deepEqual(seen, ["first", "second", "same-instant@10", "later@15"]);
  });

  it("cancels a pending event and reports whether it was pending", () => {
    const clock = new VirtualClock();
    let ran = false;
    const event = clock.schedule({ delay: 10 }, () => (ran = true));
    assert.equal(event.cancel(), true);
    assert.equal(event.cancel(), false);
    clock.advance(20);
    assert.equal(ran, false);
  });

  it("reports the next event, skipping cancelled ones", () => {
    const clock = new VirtualClock();
    assert.equal(clock.nextEventAt(), undefined);
    const early = clock.schedule({ at: 5 }, () => undefined);
    clock.schedule({ at: 9 }, () => undefined);
    assert.equal(clock.nextEventAt(), 5);
    early.cancel();
    assert.equal(clock.nextEventAt(), 9);
  });

  it("treats an instant in the past as now", () => {
    const clock = new VirtualClock();
    clock.advance(100);
    const event = clock.schedule({ at: 50 }, () => undefined);
    assert.equal(event.at, 100);
    assert.equal(clock.nextEventAt(), 100);
  });

  it("refuses to go backwards or to advance from inside an event", () => {
    const clock = new VirtualClock();
    assert.throws(() => clock.advance(-1), RangeError);
    clock.schedule({ at: 1 }, () => clock.advance(1));
    assert.throws(() => clock.advance(5), /inside a clock event/);
  });
});

describe("devices/irq", () => {
  it("tells listeners about level changes only", () => {
    const lines = new InterruptLines();
    const seen: string[] = [];
    lines.onChange((line, level) => seen.push(`${line}:${level}`));
    const line3 = lines.line(3);
    line3.set(true);
    line3.set(true);
    line3.set(false);
    line3.set(false);
    assert.deepEqual(seen, ["3:true", "3:false"]);
  });

  it("keeps lines independent and low by default", () => {
    const lines = new InterruptLines();
    lines.set(1, true);
    assert.equal(lines.level(1), true);
    assert.equal(lines.level(2), false);
    assert.equal(lines.line(1).level, true);
  });
});
