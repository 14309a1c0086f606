// Runs one scenario: starts a session with a clean flash, uploads the board
// configuration and the policy, plays the steps and checks the
// expectations. Writes the VM log and the record (JSON lines) beside each
// other under .devicescript/sim/.

import { mkdirSync, writeFileSync } from "node:fs"
import { basename, join, relative } from "node:path"
import { ROOT } from "./bus"
import { SimError } from "./errors"
import { Marks, check, ringsAt } from "./expect"
import { SimEvent, formatEvent } from "./record"
import { Scenario, Step, isExpectation, stepKind } from "./scenario"
import { CHINA_RING, SimSession } from "./session"
import type { SipLineOptions } from "./sip/options"

export interface RunOptions {
    /** Firmware entry (relative to the project root); overrides the scenario's. */
    firmware?: string
    /** Print every recorded event as it happens. */
    verbose?: boolean
    keepWorkDir?: boolean
    /** Where the log and record go (default .devicescript/sim). */
    outDir?: string
    /** Progress output (default stdout). */
    out?: (line: string) => void
    /** The ports' SIP Lines speak SIP to this server (sim/sip/). */
    sip?: SipLineOptions
}

export interface Outcome {
    step: number
    kind: string
    ok: boolean
    message: string
}

export interface ScenarioResult {
    name: string
    file: string
    ok: boolean
    outcomes: Outcome[]
    /** Why the scenario could not run to its end (not an expectation). */
    error?: string
    errorDetails?: string[]
    problems: string[]
    ms: number
    logFile: string
    recordFile: string
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const DEFAULT_GAP_MS = 150
/** After lifting the handset, before the first key (a person waits for the dial tone). */
const LIFT_MS = 300
/** How long an incoming call waits for a busy port to become free. */
const FREE_WAIT_MS = 3000

export const OUT_DIR = join(ROOT, ".devicescript", "sim")

function describeStep(step: Step): string {
    const kind = stepKind(step)
    const v = (step as Record<string, unknown>)[kind]
    const extra = "digits" in step ? ` ${step.digits}` : ""
    return `${kind} ${typeof v === "object" ? JSON.stringify(v) : v}${extra}`
}

class Player {
    readonly marks: Marks = { attempt: {}, call: 0 }
    readonly outcomes: Outcome[] = []

    constructor(
        private s: SimSession,
        private sc: Scenario,
        private out: (line: string) => void
    ) {}

    private now() {
        return this.s.rec.now()
    }

    private async keys(ext: string, digits: string, gapMs = DEFAULT_GAP_MS) {
        const port = this.s.port(ext)
        for (const k of digits) {
            // Recorded as it is sent: key-to-decision latency is measured from here.
            this.s.rec.add("key", { port: port.index, ext, key: k })
            await port.key(k)
            await sleep(gapMs)
        }
    }

    private result(i: number, kind: string, ok: boolean, message: string) {
        this.outcomes.push({ step: i + 1, kind, ok, message })
        this.out(`  ${ok ? "ok  " : "FAIL"} step ${i + 1} ${kind}: ${message}`)
    }

    async play(step: Step, i: number) {
        const s = this.s
        const kind = stepKind(step)
        if (isExpectation(step)) {
            const r = await check(s, step, this.marks, this.sc.timeoutMs)
            return this.result(i, kind, r.ok, r.message)
        }
        s.rec.add("step", { step: i + 1, what: describeStep(step) })
        if ("offHook" in step) {
            this.marks.attempt[step.offHook] = this.now()
            await s.port(step.offHook).hook(true)
        } else if ("onHook" in step) {
            await s.port(step.onHook).hook(false)
        } else if ("press" in step) {
            await this.keys(step.press, step.digits, step.gapMs)
        } else if ("dial" in step) {
            this.marks.attempt[step.dial] = this.now()
            await s.port(step.dial).hook(true)
            await sleep(LIFT_MS)
            await this.keys(step.dial, step.digits, step.gapMs)
        } else if ("wait" in step) {
            await sleep(step.wait)
        } else if ("incoming" in step) {
            const { from, to } = step.incoming
            // A call the firmware is still hanging up (after an onHook step)
            // would make the port busy: give it a moment.
            const port = s.port(to)
            await s.rec.until(
                () => (s.exchange.busy(port) ? undefined : true),
                FREE_WAIT_MS,
                50
            )
            this.marks.call = this.now()
            if (!s.exchange.incomingFromOutside(from, to))
                this.out(
                    `  note: ${to} is busy: the call from ${from} got the busy signal`
                )
        } else if ("waitRings" in step) {
            await this.waitRings(step.waitRings, i)
        } else if ("answer" in step) {
            this.marks.attempt[step.answer] = this.now()
            await s.port(step.answer).hook(true)
        } else if ("hangUp" in step) {
            const who = step.hangUp === "outside" ? undefined : step.hangUp
            if (s.exchange.hangUpOutside(who) === 0)
                this.out(
                    `  note: step ${i + 1}: no call with ${step.hangUp} to hang up`
                )
        } else if ("restart" in step) {
            if (step.restart === "admin") await s.softRestart()
            else await s.restart()
            await this.bind()
        } else if ("outside" in step) {
            s.exchange.outside = step.outside
        } else if ("uploadPolicy" in step) {
            const r = await s.upload("policy", step.uploadPolicy)
            const want = step.expectOk ?? true
            const what = r.ok
                ? `applied (${r.message})`
                : `refused: ${r.message}`
            this.result(
                i,
                "uploadPolicy",
                r.ok === want,
                `the firmware ${what}`
            )
        } else if ("note" in step) {
            this.out(`  -- ${step.note}`)
        }
    }

    private async waitRings(
        w: { port: string; count: number; timeoutMs?: number },
        i: number
    ) {
        const cycle = (this.sc.ring ?? CHINA_RING).cycleMs
        const timeout = w.timeoutMs ?? w.count * cycle + 5000
        const rec = this.s.rec
        const since = this.marks.call
        const ok = await rec.until(() => {
            const n = ringsAt(rec, w.port, since)
            return n !== undefined && n >= w.count ? true : undefined
        }, timeout)
        if (!ok) {
            const n = ringsAt(rec, w.port, since)
            const got =
                n === undefined
                    ? "no call arrived there"
                    : `it rang ${n} time(s)`
            this.result(
                i,
                "waitRings",
                false,
                `${w.port} should ring ${w.count} time(s) within ${(timeout / 1000).toFixed(1)} s; ${got}`
            )
        }
    }

    async bind() {
        const missing = await this.s.waitPortsReady()
        if (missing.length)
            this.out(
                `  warning: the firmware has not taken on: ${missing.join(", ")}`
            )
    }
}

/**
 * With real SIP, calls from outside come from the SIP server, not from
 * the simulated exchange: the steps that play the outside party cannot run.
 */
function refuseExchangeSteps(sc: Scenario) {
    const i = sc.steps.findIndex(
        st => "incoming" in st || "outside" in st || "hangUp" in st
    )
    if (i >= 0 || sc.outside)
        throw new SimError(
            `${sc.name}: ${i >= 0 ? `step ${i + 1} (${stepKind(sc.steps[i])})` : '"outside"'} plays the simulated exchange's outside party, which --sip replaces with a real SIP server`
        )
}

export async function runScenario(
    sc: Scenario,
    opts: RunOptions = {}
): Promise<ScenarioResult> {
    const out = opts.out ?? ((l: string) => process.stdout.write(l + "\n"))
    const outDir = opts.outDir ?? OUT_DIR
    mkdirSync(outDir, { recursive: true })
    const base = basename(sc.file).replace(/\.(json|ya?ml)$/i, "")
    const logFile = join(outDir, base + ".log")
    const recordFile = join(outDir, base + ".record.jsonl")
    const t0 = Date.now()
    const result: ScenarioResult = {
        name: sc.name,
        file: sc.file,
        ok: false,
        outcomes: [],
        problems: [],
        ms: 0,
        logFile,
        recordFile,
    }
    out(`scenario ${sc.name} (${relative(process.cwd(), sc.file)})`)
    let session: SimSession | undefined
    let player: Player | undefined
    const onRejection = (e: unknown) =>
        result.problems.push(`internal: ${(e as Error)?.message ?? e}`)
    process.on("unhandledRejection", onRejection)
    try {
        if (opts.sip) refuseExchangeSteps(sc)
        session = await SimSession.start({
            sip: opts.sip,
            firmware: opts.firmware ?? sc.firmware,
            ports: sc.ports,
            ring: sc.ring,
            logFile,
            startTime: sc.startTime,
            keepWorkDir: opts.keepWorkDir,
            onEvent: opts.verbose
                ? (e: SimEvent) => out("    " + formatEvent(e))
                : undefined,
        })
        const t = session.bus.timings
        out(
            `  started in ${((Date.now() - t0) / 1000).toFixed(1)} s (build ${t.build} ms, vm ${t.vmStart} ms)`
        )
        if (sc.outside) session.exchange.outside = sc.outside
        player = new Player(session, sc, out)
        if (sc.policy !== undefined) {
            const r = await session.upload("policy", sc.policy)
            if (!r.ok)
                throw new SimError(
                    `the firmware refused the scenario's policy: ${r.message}`
                )
        }
        await player.bind()
        for (let i = 0; i < sc.steps.length; i++)
            await player.play(sc.steps[i], i)
    } catch (e) {
        if (!(e instanceof SimError)) throw e
        result.error = e.message
        result.errorDetails = e.details
    } finally {
        process.off("unhandledRejection", onRejection)
        if (player) result.outcomes = player.outcomes
        if (session) {
            result.problems.push(...session.problems)
            writeFileSync(
                recordFile,
                session.rec.events.map(e => JSON.stringify(e)).join("\n") + "\n"
            )
            await session.stop()
        }
    }
    result.ms = Date.now() - t0
    const failed = result.outcomes.filter(o => !o.ok)
    result.ok =
        !result.error && failed.length === 0 && result.problems.length === 0
    for (const p of result.problems) out(`  problem: ${p}`)
    if (result.error) {
        out(`  ERROR: ${result.error}`)
        for (const d of result.errorDetails ?? []) out(`    ${d}`)
    }
    const checks = result.outcomes.length
    const verdict = result.ok ? "PASS" : "FAIL"
    out(
        `${verdict} ${sc.name}: ${checks - failed.length}/${checks} checks held` +
            ` in ${(result.ms / 1000).toFixed(1)} s (log ${relative(process.cwd(), logFile)})`
    )
    return result
}
