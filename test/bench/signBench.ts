// DeviceScript VM benchmark (not a test): the cost of signing one board
// message (devs/sync/sync.ts Sync.publish: the "n" counter, then
// HMAC-SHA256 with the board key of topic + message + counter) for a state, a 4-handset
// counters message and a call record, in a normal VM run (no GC stress).
// Started by scripts/bench.ts, which parses the line starting with "SIGN ".
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"

const KEY = Buffer.from(
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    "hex"
)
const STATE =
    '{"board":"desk-a","handsets":["8001","8002","8003","8004"],"policyVersion":4,"policyHash":"1d4e167dfe2eaf47","firmware":"0.1.0","lastError":"","ts":1793692800}'
let COUNTERS = '{"board":"desk-a","month":"2026-11","handsets":{'
for (let i = 1; i <= 4; ++i)
    COUNTERS +=
        (i > 1 ? "," : "") +
        '"800' +
        i +
        '":{"calls":{"local":3,"domestic":1,"mobile":7},"seconds":{"local":360,"domestic":125,"mobile":905},"blocked":{"premium":2},"incoming":{"onTime":3,"late":1},"caller":{"onTime":2,"late":2}}'
COUNTERS += "}}"
const RECORD =
    '{"board":"desk-a","id":"desk-a-117439385260141-17","handset":"8001","number":"01012345678","category":"domestic","start":1793692800,"seconds":125,"dial":"1790901012345678","answered":1793692806,"end":1793692931,"outcome":"answered"}'

let sent = 0
const boot = 117439385260141

/**
 * What Sync.publish does to a message before it goes out: the counter
 * field and the HMAC (the client writes them into the packet in place of
 * the message's "}"); returns the length of the signed message.
 */
function signed(t: string, p: string): number {
    const n = ',"n":[' + boot + "," + ++sent + "]"
    const tail =
        n + ',"sig":"' + hmac(KEY, "sha256", t, p, n).toString("hex") + '"}'
    return p.length - 1 + tail.length
}

async function measure(topic: string, p: string) {
    const N = 50
    await ds.sleep(0)
    const t0 = ds.millis()
    let len = 0
    for (let i = 0; i < N; ++i) {
        len = signed(topic, p)
        // ds.millis() advances only at an await
        await ds.sleep(0)
    }
    const t1 = ds.millis()
    for (let i = 0; i < N; ++i) await ds.sleep(0)
    const idle = ds.millis() - t1
    return { bytes: p.length, signedBytes: len, ms: (t1 - t0 - idle) / N }
}

const state = await measure("dialguard/hq/desk-a/state", STATE)
const counters = await measure("dialguard/hq/desk-a/counters/2026-11", COUNTERS)
const record = await measure("dialguard/hq/desk-a/calls", RECORD)
console.log("SIGN " + JSON.stringify({ state, counters, record }))
