// Figures of the simulated board on real SIP (sim/sip/), from its event
// record: Kamailio as the site's SIP server and SIPp as the carrier trunk
// and an outside caller, all on loopback (test/sipHarness.ts):
//   - REGISTER → its response (the 401, and the 200 to the one with
//     credentials);
//   - last key → INVITE on the wire (numbers complete at their last digit);
//   - INVITE → 180 from the trunk (through Kamailio, after the 407);
//   - 302 after the last ring (the board's redirect of an unanswered call),
//     and 302 → the INVITE at the next extension (the caller following it).
import { join } from "node:path"
import { readFileSync } from "node:fs"
import { ROOT } from "../sim/bus"
import { SimEvent } from "../src/board/record"
import { SimSession } from "../sim/session"
import { SipSite } from "../test/sipHarness"

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const CYCLE_MS = 1000

export interface SipSpread {
    samples: number
    minMs: number
    medianMs: number
    maxMs: number
}

function spread(xs: number[]): SipSpread {
    const s = xs.slice().sort((a, b) => a - b)
    return {
        samples: s.length,
        minMs: s[0] ?? NaN,
        medianMs: s[Math.floor(s.length / 2)] ?? NaN,
        maxMs: s[s.length - 1] ?? NaN,
    }
}

/** Each `from` event (of port `ext`) paired with the first `to` after it. */
function pairs(
    ev: SimEvent[],
    from: (e: SimEvent) => boolean,
    to: (e: SimEvent) => boolean
): number[] {
    const out: number[] = []
    let start: number | undefined
    for (const e of ev) {
        if (from(e)) start = e.t
        else if (start !== undefined && to(e)) {
            out.push(e.t - start)
            start = undefined
        }
    }
    return out
}

const sip = (ext: string, dir: string, re: RegExp) => (e: SimEvent) =>
    e.kind === "sip" &&
    e.ext === ext &&
    e.dir === dir &&
    re.test(String(e.line))

export async function sipFigures() {
    const site = await SipSite.start()
    let s: SimSession | undefined
    try {
        s = await SimSession.start({
            ports: ["8001", "8101"],
            ring: { onMs: 300, cycleMs: CYCLE_MS },
            logFile: join(ROOT, ".devicescript", "sim", "sip-bench.log"),
            sip: { server: site.server("udp"), password: site.password },
        })
        const session = s
        await s.waitPortsReady()
        const policy = JSON.parse(
            readFileSync(join(ROOT, "sim/policies/floors.policy.json"), "utf8")
        )
        await s.upload("policy", policy)
        s.rec.on("event", e => {
            if (e.kind === "ring" && e.on && e.ext === "8101")
                void session.port("8101").hook(true)
        })
        for (let i = 0; i < 5; i++) {
            const p = s.port("8001")
            await p.hook(true)
            await sleep(300)
            for (const k of "01062345678") {
                s.rec.add("key", { port: p.index, ext: "8001", key: k })
                await p.key(k)
                await sleep(100)
            }
            await s.rec.until(
                () =>
                    s!.rec.select("remoteAnswered", "8001").length > i ||
                    undefined,
                10000
            )
            await p.hook(false)
            await sleep(300)
        }
        for (let i = 0; i < 3; i++) {
            const r = await site.call("8001")
            if (r.code !== 0) throw new Error(`outside call failed: ${r.out}`)
            await s.port("8101").hook(false)
            await sleep(300)
        }
        const ev = s.rec.events
        const lastKey = pairs(
            ev,
            e => e.kind === "key" && e.ext === "8001",
            sip("8001", "out", /^INVITE /)
        )
        const register = ["8001", "8101"].flatMap(ext =>
            pairs(ev, sip(ext, "out", /^REGISTER/), sip(ext, "in", /^\d/))
        )
        // (a new INVITE, the one with credentials after the 407, restarts the clock)
        const inviteTo180 = pairs(
            ev,
            sip("8001", "out", /^INVITE /),
            sip("8001", "in", /^18[03]/)
        )
        const lastRing: number[] = []
        const redirectToNext: number[] = []
        let ringOn: number | undefined
        let sent302: number | undefined
        for (const e of ev) {
            if (e.kind === "ring" && e.on && e.ext === "8001") ringOn = e.t
            if (sip("8001", "out", /^302/)(e) && ringOn !== undefined) {
                lastRing.push(e.t - ringOn)
                sent302 = e.t
            }
            if (sip("8101", "in", /^INVITE/)(e) && sent302 !== undefined) {
                redirectToNext.push(e.t - sent302)
                sent302 = undefined
            }
        }
        return {
            registerMs: spread(register),
            lastKeyToInviteMs: spread(lastKey),
            inviteTo180Ms: spread(inviteTo180),
            lastRingTo302Ms: spread(lastRing),
            ringCycleMs: CYCLE_MS,
            redirectToNextInviteMs: spread(redirectToNext),
        }
    } finally {
        await s?.stop()
        await site.stop()
    }
}

if (process.argv[1]?.endsWith("sipBench.ts"))
    sipFigures().then(
        f => {
            console.log(JSON.stringify(f, null, 2))
            process.exit(0)
        },
        e => {
            console.error(e)
            process.exit(1)
        }
    )
