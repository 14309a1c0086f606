// Figures measured on the real firmware in the simulator, from the event
// record of two example scenarios: how long after the last key press the
// firmware's dial order reaches the SIP line (numbers complete at their last
// digit), and how exactly the bell follows the 1 s on / 4 s off cadence.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { runScenario } from "../sim/runner"
import { parseScenario } from "../sim/scenario"
import { ROOT } from "../sim/bus"

interface Ev {
    t: number
    kind: string
    port?: number
    on?: boolean
}

function median(xs: number[]) {
    const s = xs.slice().sort((a, b) => a - b)
    return s.length ? s[Math.floor(s.length / 2)] : NaN
}

async function record(name: string): Promise<Ev[]> {
    const sc = parseScenario(join(ROOT, "sim/scenarios", name))
    const r = await runScenario(sc, { out: () => {} })
    if (!r.ok)
        throw new Error(
            `scenario ${name} failed: ${
                r.error ??
                r.outcomes
                    .filter(o => !o.ok)
                    .map(o => o.message)
                    .join("; ")
            }`
        )
    return readFileSync(r.recordFile, "utf8")
        .split("\n")
        .filter(l => l)
        .map(l => JSON.parse(l))
}

/** Last key → dial order, for dials that did not wait for a timer (< 1 s). */
function keyToDial(events: Ev[]) {
    const lastKey: Record<number, number> = {}
    const lat: number[] = []
    for (const e of events) {
        if (e.kind === "key") lastKey[e.port!] = e.t
        else if (e.kind === "dial" && lastKey[e.port!] !== undefined) {
            const d = e.t - lastKey[e.port!]
            if (d < 1000) lat.push(d)
        }
    }
    return {
        samples: lat.length,
        medianMs: median(lat),
        maxMs: Math.max(...lat),
    }
}

/**
 * Ring on/off edges against incoming-call time + k × cycle (+ onMs for off).
 * The bell stopping because the call was answered or forwarded is not a
 * cadence edge and is left out.
 */
function ringAccuracy(events: Ev[], onMs: number, cycleMs: number) {
    const errs: number[] = []
    const start: Record<number, number> = {}
    events.forEach((e, i) => {
        if (e.kind === "incoming") start[e.port!] = e.t
        if (e.kind !== "ring" || start[e.port!] === undefined) return
        const stopped = events.some(
            (f, j) =>
                j > i &&
                f.port === e.port &&
                f.t - e.t < 200 &&
                (f.kind === "answer" || f.kind === "redirect")
        )
        if (!e.on && stopped) return
        const rel = e.t - start[e.port!] - (e.on ? 0 : onMs)
        errs.push(rel - Math.round(rel / cycleMs) * cycleMs)
    })
    const abs = errs.map(Math.abs)
    return {
        edges: errs.length,
        meanAbsMs: Math.round(abs.reduce((a, b) => a + b, 0) / abs.length),
        maxAbsMs: Math.max(...abs),
    }
}

export async function simFigures() {
    const dial = await record("ip-prefix-17909.json")
    const ring = await record("forward-real-cadence.json")
    return { keyToDial: keyToDial(dial), ring: ringAccuracy(ring, 1000, 5000) }
}
