// alongside(): the sync side starts working while the rollout side still lists; the rollout side
// decides nothing before its own listing is complete.
import { alongside, type ControllerLike } from '../../../src/controllers/rollout/wire';

class Side implements ControllerLike {
  readonly calls: string[] = [];
  private finishListing!: (err?: Error) => void;
  private readonly listed = new Promise<void>((resolve, reject) => {
    this.finishListing = (err) => (err ? reject(err) : resolve());
  });

  constructor(private readonly name: string) {}

  async start(): Promise<void> {
    this.calls.push(`${this.name} start`);
    await this.listed;
    this.calls.push(`${this.name} listed`);
  }
  list(err?: Error): void {
    this.finishListing(err);
  }
  synced(): boolean {
    return this.calls.includes(`${this.name} listed`);
  }
  async run(): Promise<void> {
    this.calls.push(`${this.name} run`);
  }
  async stop(): Promise<void> {}
}

const flush = () => new Promise((r) => setImmediate(r));

test('start() resolves when the sync side has listed, whatever the rollout side is doing', async () => {
  const sync = new Side('sync');
  const rollout = new Side('rollout');
  const both = alongside(sync, rollout);
  let started = false;
  const start = both.start().then(() => (started = true));
  await flush();
  expect(started).toBe(false);
  sync.list();
  await start;
  expect(rollout.calls).toEqual(['rollout start']);
  expect(both.synced()).toBe(false);
});

test('run() starts the sync workers at once and the rollout workers only after its listing', async () => {
  const sync = new Side('sync');
  const rollout = new Side('rollout');
  const both = alongside(sync, rollout);
  sync.list();
  await both.start();
  const running = both.run();
  await flush();
  expect(sync.calls).toContain('sync run');
  expect(rollout.calls).not.toContain('rollout run');
  rollout.list();
  await running;
  expect(rollout.calls).toEqual(['rollout start', 'rollout listed', 'rollout run']);
  expect(both.synced()).toBe(true);
});

test('a rollout listing that fails rejects run() (the leader stops), not start()', async () => {
  const sync = new Side('sync');
  const rollout = new Side('rollout');
  const both = alongside(sync, rollout);
  sync.list();
  rollout.list(new Error('secrets is forbidden'));
  await both.start();
  await expect(both.run()).rejects.toThrow('secrets is forbidden');
});

test('onSyncListed is called once the sync side has listed (or failed to), not before', async () => {
  const sync = new Side('sync');
  const rollout = new Side('rollout');
  const calls: string[] = [];
  const both = alongside(sync, rollout, () => calls.push('sync listed'));
  const start = both.start();
  await flush();
  expect(calls).toEqual([]);
  sync.list();
  await start;
  expect(calls).toEqual(['sync listed']);
  const failing = new Side('sync');
  const other = alongside(failing, new Side('rollout'), () => calls.push('sync failed'));
  const failed = other.start();
  failing.list(new Error('stopped'));
  await expect(failed).rejects.toThrow('stopped');
  expect(calls).toEqual(['sync listed', 'sync failed']);
});
