// Fleet figures for `npm run bench`, measured on the real firmware in the
// simulator synced to a real mosquitto (test/syncHarness.ts), driven with
// the real CLI:
// - policy push → applied, per board: the policy message arriving on the
//   broker (seen by a subscriber, whatever its topic) → the board's
//   retained state saying that version;
// - counters publish → visible: a call hung up → the board's retained
//   counters showing it, as a subscriber sees them;
// - call records through mosquitto and `dialguard collect` per second.
// The fleet side's own rates without network (counters messages parsed,
// records stored) are in src/fleet/bench.ts.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import mqtt from "mqtt"
import { sampleCallRecord } from "../src/fleet/bench"
import { recordsIn } from "../test/callsDb"
import { SimSession } from "../sim/session"
import {
    MosquittoBroker,
    collect,
    dialguard,
    isPolicyMessage,
    SIM_MONTH,
    SIM_START,
    sleep,
    stopChild,
    Watcher,
} from "../test/syncHarness"

const SITE = "hq"
const BOARD = "bench-a"
const KEY_HEX = "3c".repeat(32)
const MONTH = SIM_MONTH // the simulated SIP wall clock starts at SIM_START
const PUSHES = 8
const CALLS = 8
/** Counters go out at most every 2 s (devs/sync/outbox.ts): calls further apart. */
const CALL_SPACING_MS = 2500
const RECORDS = 1000

export interface Spread {
    samples: number
    minMs: number
    medianMs: number
    maxMs: number
}

export function spread(xs: number[]): Spread {
    const s = xs.slice().sort((a, b) => a - b)
    return {
        samples: s.length,
        minMs: s[0] ?? NaN,
        medianMs: s.length ? s[Math.floor(s.length / 2)] : NaN,
        maxMs: s[s.length - 1] ?? NaN,
    }
}

function policy(version: number) {
    const p = JSON.parse(
        readFileSync(join("sim", "policies", "hq.policy.json"), "utf8")
    )
    p.version = version
    return p
}

/** Push → applied per board, over `PUSHES` pushes. */
async function pushLatency(
    tmp: string,
    broker: MosquittoBroker,
    watcher: Watcher,
    keyFile: string
) {
    const byBoard: Record<string, number[]> = {}
    const cli: number[] = []
    for (let v = 1; v <= PUSHES; v++) {
        const file = join(tmp, `v${v}.json`)
        writeFileSync(file, JSON.stringify(policy(v)))
        const t0 = Date.now()
        const r = await dialguard([
            "policy",
            "push",
            file,
            "--broker",
            broker.url,
            "--key",
            keyFile,
            "--site",
            SITE,
            "--timeout",
            "20s",
        ])
        if (r.code !== 0)
            throw new Error(`policy push v${v} failed: ${r.stdout}${r.stderr}`)
        cli.push(r.ms)
        // Every board whose state says v: from its policy message on the
        // broker (a site-wide or its own topic) to that state.
        const states = watcher.parsed(t => t.endsWith("/state"), t0)
        const boards = new Set(states.map(m => m.value.board))
        for (const board of boards) {
            const applied = await watcher.wait(
                `dialguard/${SITE}/${board}/state`,
                t0,
                s => s.policyVersion === v
            )
            const sent = watcher
                .parsed(
                    t =>
                        t === `dialguard/${SITE}/policy` ||
                        t.startsWith(`dialguard/${SITE}/${board}/`),
                    t0
                )
                .find(m => isPolicyMessage(m.value) && m.value.version === v)
            if (!sent) throw new Error(`no policy message v${v} for ${board}`)
            ;(byBoard[board] ??= []).push(applied.t - sent.t)
        }
    }
    const perBoard: Record<string, Spread> = {}
    for (const [b, xs] of Object.entries(byBoard)) perBoard[b] = spread(xs)
    return { perBoard, cliMs: spread(cli) }
}

/** Call end → retained counters visible, over `CALLS` calls. */
async function countersLatency(s: SimSession, watcher: Watcher) {
    const topic = `dialguard/${SITE}/${BOARD}/counters/${MONTH}`
    const lat: number[] = []
    const port = s.port("8101")
    for (let i = 1; i <= CALLS; i++) {
        const from = s.rec.events.length
        await port.hook(true)
        await sleep(300)
        for (const k of "52345678") {
            await port.key(k)
            await sleep(60)
        }
        const answered = await s.rec.until(
            () =>
                s.rec.events
                    .slice(from)
                    .find(e => e.kind === "remoteAnswered" && e.ext === "8101"),
            10000
        )
        if (!answered) throw new Error("the bench call was not answered")
        await sleep(200)
        const end = Date.now()
        await port.hook(false)
        const c = await watcher.wait(
            topic,
            end,
            v => v.handsets?.["8101"]?.calls?.local === i
        )
        lat.push(c.t - end)
        await sleep(Math.max(0, CALL_SPACING_MS - (Date.now() - end)))
    }
    return spread(lat)
}

/** Call records published by a client, all written by `dialguard collect`. */
async function collectorRate(broker: MosquittoBroker, tmp: string) {
    const dir = join(tmp, "calls")
    const collector = collect(broker.url, SITE, dir)
    try {
        // the collector is subscribed once its marker round trip is done:
        // a record published before that is queued for its session anyway
        const client = await mqtt.connectAsync(broker.url, {
            clientId: "bench-records",
        })
        const lines = () => {
            try {
                return recordsIn(dir).length
            } catch {
                return 0
            }
        }
        // one record, again until it is written: the collector is up and
        // subscribed (its session starts with its first connection)
        for (let i = 0; i < 60 && lines() < 1; i++) {
            await client.publishAsync(
                `dialguard/${SITE}/${BOARD}/calls`,
                sampleCallRecord(BOARD, 0),
                { qos: 1 }
            )
            await sleep(500)
        }
        const t0 = Date.now()
        await Promise.all(
            Array.from({ length: RECORDS }, (_, i) =>
                client.publishAsync(
                    `dialguard/${SITE}/${BOARD}/calls`,
                    sampleCallRecord(BOARD, i + 1),
                    { qos: 1 }
                )
            )
        )
        const end = Date.now() + 60000
        while (lines() < RECORDS + 1 && Date.now() < end) await sleep(20)
        const ms = Date.now() - t0
        await client.endAsync()
        const n = lines() - 1
        if (n !== RECORDS)
            throw new Error(`the collector wrote ${n} of ${RECORDS} records`)
        return { records: n, recordsPerSecond: Math.round((n * 1000) / ms) }
    } finally {
        await stopChild(collector)
    }
}

export async function fleetFigures() {
    const tmp = mkdtempSync(join(tmpdir(), "dialguard-fleet-bench-"))
    const keyFile = join(tmp, "site.key")
    writeFileSync(keyFile, KEY_HEX + "\n", { mode: 0o600 })
    const broker = await MosquittoBroker.onFreePorts(tmp)
    let watcher: Watcher | undefined
    let s: SimSession | undefined
    try {
        await broker.start()
        watcher = new Watcher(broker.url, SITE, "bench-watcher")
        await watcher.start()
        s = await SimSession.start({
            ports: ["8001", "8101"],
            board: BOARD,
            logFile: join(tmp, "sim.log"),
            startTime: SIM_START,
            configExtra: {
                site: SITE,
                broker: { url: broker.url },
                siteKey: KEY_HEX,
            },
        })
        const missing = await s.waitPortsReady()
        if (missing.length) throw new Error(`ports not ready: ${missing}`)
        s.exchange.outside = { answerAfterMs: 200 }
        await watcher.wait(
            `dialguard/${SITE}/${BOARD}/online`,
            0,
            v => v === true,
            30000
        )
        const push = await pushLatency(tmp, broker, watcher, keyFile)
        const counters = await countersLatency(s, watcher)
        const collector = await collectorRate(broker, tmp)
        return { push, counters, collector }
    } finally {
        await s?.stop()
        watcher?.stop()
        await broker.stop()
        rmSync(tmp, { recursive: true, force: true })
    }
}
