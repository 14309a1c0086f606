// Runs one scenario: starts its board (or its site's boards) with a clean
// flash, uploads the board configuration and the policy, plays the steps and
// checks the expectations. Writes the VM log (one per board) and the record
// (JSON lines) beside each other under .devicescript/sim/.

import { randomBytes } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { basename, join, relative } from "node:path"
import { EmbeddedBroker, startEmbeddedBroker } from "../src/fleet/embedded"
import { ROOT } from "./bus"
import { SimError } from "../src/board/errors"
import { Marks, check, ringsAt } from "./expect"
import { SimEvent, formatEvent } from "../src/board/record"
import { Scenario, Step, isExpectation, stepKind } from "./scenario"
import { CHINA_RING } from "./session"
import { SimSite, SiteSpec, siteIdOf } from "./site"
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
    /**
     * A site scenario's broker (plain mqtt://, e.g. mosquitto in the
     * tests); default: an embedded one (aedes) on a free loopback port.
     */
    brokerUrl?: string
    /** A site scenario's MQTT site id (default: the site file's, else from its policy). */
    siteId?: string
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
    /** The (first) board's log; every board's in logFiles. */
    logFile: string
    logFiles: string[]
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
        private s: SimSite,
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
            this.marks.fault = this.now()
            const how = step.restart
            await Promise.all(
                s
                    .targets(step.board)
                    .map(b => (how === "admin" ? b.softRestart() : b.restart()))
            )
            await this.bind(step.board)
        } else if ("brokerLink" in step) {
            this.marks.fault = this.now()
            for (const b of s.targets(step.board)) {
                const link = s.link(b.board)
                if (step.brokerLink === "down") link.down()
                else link.mend()
            }
        } else if ("outside" in step) {
            s.exchange.outside = step.outside
        } else if ("uploadPolicy" in step) {
            const rs = await s.uploadPolicy(step.uploadPolicy, step.board)
            const want = step.expectOk ?? true
            const what = rs.map(({ board, result: r }) => {
                const on = s.sessions.length > 1 ? `${board}: ` : ""
                return `${on}${r.ok ? `applied (${r.message})` : `refused: ${r.message}`}`
            })
            this.result(
                i,
                "uploadPolicy",
                rs.every(r => r.result.ok === want),
                `the firmware ${what.join("; ")}`
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

    async bind(board?: string) {
        const missing = await this.s.waitPortsReady(board)
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
    // a site: one log per board; one board: <scenario>.log, as ever
    const spec: SiteSpec = sc.site ?? {
        name: sc.name,
        boards: [{ id: "sim-1", ports: sc.ports }],
    }
    const logOf = (board: string) =>
        join(outDir, sc.site ? `${base}.${board}.log` : `${base}.log`)
    const logFiles = spec.boards.map(b => logOf(b.id))
    const recordFile = join(outDir, base + ".record.jsonl")
    const t0 = Date.now()
    const result: ScenarioResult = {
        name: sc.name,
        file: sc.file,
        ok: false,
        outcomes: [],
        problems: [],
        ms: 0,
        logFile: logFiles[0],
        logFiles,
        recordFile,
    }
    out(`scenario ${sc.name} (${relative(process.cwd(), sc.file)})`)
    let site: SimSite | undefined
    let broker: EmbeddedBroker | undefined
    let player: Player | undefined
    const onRejection = (e: unknown) =>
        result.problems.push(`internal: ${(e as Error)?.message ?? e}`)
    process.on("unhandledRejection", onRejection)
    try {
        if (opts.sip) refuseExchangeSteps(sc)
        let brokerUrl = opts.brokerUrl
        if (sc.site && !brokerUrl) {
            broker = await startEmbeddedBroker(0, "127.0.0.1")
            brokerUrl = broker.url
        }
        site = await SimSite.start(spec, {
            sip: opts.sip,
            firmware: opts.firmware ?? sc.firmware,
            ring: sc.ring,
            logFile: logOf,
            startTime: sc.startTime,
            configExtra: sc.boardConfig,
            keepWorkDir: opts.keepWorkDir,
            onEvent: opts.verbose
                ? (e: SimEvent) => out("    " + formatEvent(e))
                : undefined,
            wholePolicy: !sc.site,
            sync: brokerUrl
                ? {
                      brokerUrl,
                      site: opts.siteId ?? siteIdOf(spec),
                      siteKey: randomBytes(32).toString("hex"),
                  }
                : undefined,
        })
        const t = site.sessions[0].bus.timings
        const boards = sc.site ? `${site.sessions.length} boards, ` : ""
        out(
            `  started ${boards}in ${((Date.now() - t0) / 1000).toFixed(1)} s (build ${t.build} ms, vm ${t.vmStart} ms)`
        )
        if (sc.outside) site.exchange.outside = sc.outside
        player = new Player(site, sc, out)
        if (sc.policy !== undefined) {
            const refused = (await site.uploadPolicy(sc.policy)).filter(
                r => !r.result.ok
            )
            if (refused.length)
                throw new SimError(
                    `the firmware refused the scenario's policy: ${refused.map(r => (sc.site ? `${r.board}: ` : "") + r.result.message).join("; ")}`
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
        if (site) {
            result.problems.push(...site.problems)
            writeFileSync(
                recordFile,
                site.rec.events.map(e => JSON.stringify(e)).join("\n") + "\n"
            )
            await site.stop()
        }
        await broker?.close()
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
            ` in ${(result.ms / 1000).toFixed(1)} s (log ${relative(process.cwd(), logFiles[0])}${logFiles.length > 1 ? ` and ${logFiles.length - 1} more` : ""})`
    )
    return result
}
