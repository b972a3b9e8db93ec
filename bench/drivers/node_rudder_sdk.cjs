'use strict';
/* @rudderstack/rudder-sdk-node from npm, plain or glued under walkerOS as the walkerOS
 * RudderStack destination does it (spec/walkeros.md §6: processEventMapping from
 * @walkeros/core, identity from user.id / user.session, then analytics.track).
 *
 *   node node_rudder_sdk.cjs NODE_DIR URL EVENTS [--walkeros] [--flush-at F] [--yield-every K]
 *
 * NODE_DIR holds node_modules with both packages (the runner's throwaway npm dir).
 *
 * Driving: a Node app never calls track() in one synchronous loop of N events; it handles a
 * request, tracks, and returns to the event loop.  The driver does the same: after every K
 * events (default 20, the SDK's flushAt) it yields with setImmediate, so the SDK's HTTP
 * requests and their answers get served.  (In a hot loop nothing is ever sent and the SDK's
 * enqueue, which re-serialises the whole queue, turns quadratic: spec/rudderstack.md §5.1.)
 * End to end = first call until the queue is empty and the last request was answered.
 */
const path = require('path');
const { createRequire } = require('module');

const args = process.argv.slice(2);
const nodeDir = args[0];
const url = args[1];
const n = parseInt(args[2], 10);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const walker = args.includes('--walkeros');
const flushAt = opt('--flush-at', null);
const yieldEvery = parseInt(opt('--yield-every', '20'), 10);

const req = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
const Analytics = req('@rudderstack/rudder-sdk-node');
const sdkVersion = req('@rudderstack/rudder-sdk-node/package.json').version;

const pad = (v, w) => String(v).padStart(w, '0');

function eventFields(i) {
  return {
    userId: 'user-' + pad(i % 100000, 6),
    anonymousId: 'anon-' + pad(i % 100000, 6),
    event: 'Product Viewed',
    properties: {
      product_id: 'sku-' + pad(i % 5000, 5), name: 'Everyday Ruck Snack', price: 42.5,
      currency: 'USD', quantity: (i % 9) + 1, category: 'Backpacks', brand: 'Acme',
      variant: 'black', position: 3, dimensions: { w: 30, h: 45 }, tags: ['new', 'sale', 'outdoor'],
    },
    context: { ip: '203.0.113.7', locale: 'en-US' },
  };
}

function walkerEvent(i) {
  return {
    name: 'product view', entity: 'product', action: 'view',
    data: {
      id: 'sku-' + pad(i % 5000, 5), name: 'Everyday Ruck Snack', price: 42.5, currency: 'USD',
      quantity: (i % 9) + 1, category: 'Backpacks', brand: 'Acme', variant: 'black', position: 3,
      dimensions: { w: 30, h: 45 }, tags: ['new', 'sale', 'outdoor'],
    },
    user: { id: 'user-' + pad(i % 100000, 6), session: 'anon-' + pad(i % 100000, 6) },
    consent: { functional: true }, timestamp: 1764000000000 + i, trigger: 'load',
    source: { type: 'server', schema: '4' },
  };
}

const options = { dataPlaneUrl: url, maxInternalQueueSize: 200000, logLevel: 'error' };
if (flushAt) options.flushAt = parseInt(flushAt, 10);
const analytics = new Analytics('bench-key', options);

/* The walkerOS destination's push (spec/walkeros.md §6.3) for a track-only rule. */
function makeWalkerPush() {
  const core = req('@walkeros/core');
  const config = JSON.parse(require('fs').readFileSync(path.join(__dirname, 'walkeros_config.json'), 'utf8'));
  const settings = config.settings;
  const collector = {}; // no rule conditions or fns read it in this mapping
  const resolveId = async (event, value) => {
    if (!value) return undefined;
    const v = await core.getMappingValue(event, value, { collector });
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  return async function push(input) {
    const { event, data, mapping: rule, ignore, silent } = await core.processEventMapping(input, config, collector);
    if (ignore) return;
    const userId = await resolveId(event, settings.userId ?? 'user.id');
    const anonymousId = await resolveId(event, settings.anonymousId ?? 'user.session');
    if (!userId && !anonymousId) return;
    const identity = {};
    if (userId) identity.userId = userId;
    if (anonymousId) identity.anonymousId = anonymousId;
    const timestamp = new Date(event.timestamp || Date.now());
    if (silent === true) return;
    const name = rule && typeof rule.name === 'string' ? rule.name : event.name;
    const properties = data && typeof data === 'object' && !Array.isArray(data) ? data : {};
    analytics.track({ ...identity, event: name, properties, timestamp });
  };
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const lat = new Float64Array(n);
  const push = walker ? makeWalkerPush() : null;
  // Plain track: 1024 distinct events built before the clock starts, then cycled, as the
  // Python and Lua drivers do (the SDK deep-copies what it is given).  walkerOS: a fresh
  // event per call, because processEventMapping changes the event it is given (the
  // collector hands every destination its own copy); a literal costs well under 1 us.
  const pool = walker ? null : Array.from({ length: 1024 }, (_, k) => eventFields(k));
  const now = process.hrtime.bigint;
  const t0 = now();
  for (let i = 0; i < n; i++) {
    if (walker) {
      const ev = walkerEvent(i);
      const c0 = now();
      await push(ev);
      lat[i] = Number(now() - c0);
    } else {
      const msg = pool[i & 1023];
      const c0 = now();
      analytics.track(msg);
      lat[i] = Number(now() - c0);
    }
    if ((i + 1) % yieldEvery === 0) await nextTick();
  }
  const tCalls = now();
  // flush() sends one batch of flushAt events per call; drain until nothing is left.
  while (analytics.queue.length > 0) await analytics.flush();
  await analytics.flush(); // waits for the request still in flight
  const tEnd = now();
  lat.sort();
  const seconds = Number(tEnd - t0) / 1e9;
  const line = {
    contender: (walker ? 'walkerOS on Node (@walkeros/core + rudder-sdk-node ' : 'rudder-sdk-node ') + sdkVersion + (walker ? ')' : ''),
    events: n, seconds: +seconds.toFixed(4), eventsPerSec: Math.round(n / seconds),
    callSeconds: +(Number(tCalls - t0) / 1e9).toFixed(4),
    callMedianUs: +(lat[Math.floor(n / 2)] / 1e3).toFixed(3),
    callP99Us: +(lat[Math.min(n - 1, Math.floor(n * 0.99))] / 1e3).toFixed(3),
    callMaxUs: +(lat[n - 1] / 1e3).toFixed(1),
    threads: 1, flushAt: flushAt || 'default', yieldEvery, queueLeft: analytics.queue.length,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  process.exit(0); // the SDK's flush timer would keep the process alive for flushInterval
}

main().catch((e) => { console.error(e); process.exit(1); });
