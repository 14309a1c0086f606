// `npm run sim`: the simulator at a prompt. Lift handsets, press keys, call
// in from outside, answer, read counters, and watch what the firmware does
// (tones, rings, dials, forwards, its log) as it happens.
//
//   npm run sim -- [--policy FILE] [--ports 8001,8101] [--ring ON/CYCLE]
//                  [--firmware FILE] [--no-policy] [--start-time TIME] [--quiet]

import { createInterface, Interface } from "node:readline"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import {
    EmbeddedBroker,
    listenError,
    startEmbeddedBroker,
} from "../src/fleet/embedded"
import {
    BLOCKED_CODES,
    CALL_CATEGORIES,
    CALLER_OUTCOMES,
    INCOMING_OUTCOMES,
} from "../devs/phone/counters"
import { monthOf } from "../src/fleet/topics"
import { withoutLogin } from "../src/secrets"
import { DEFAULT_BUS } from "../src/board/busAddress"
import { ROOT } from "./bus"
import { SimError } from "./errors"
import { killAllChildren } from "./proc"
import { SimEvent, formatEvent } from "./record"
import { OUT_DIR } from "./runner"
import { loadJsonOrYaml } from "./scenario"
import { RingCadence, SimSession } from "./session"
import { sipOptionsFrom } from "./sip/options"

const HELP = `Commands (extensions are the simulated ports, e.g. 8001):
  lift 8001                 take the handset off the hook
  hang 8001                 put it back
  press 8001 0101234#       press keys (0-9 * #) on the keypad
  dial 8001 01062345678     lift, then press the keys
  call 8001 from 138...     a call from outside rings 8001
  answer 8001               lift a ringing handset
  outside hangup            the party outside hangs up
  outside answer [MS]       outside numbers answer after MS ms (default 2000)
  outside busy | noanswer | unreachable
  counters 8001             the handset's non-zero counters this month
  counter NAME              one counter, e.g. 8001.blocked.premium
  policy FILE               upload a policy file (JSON or YAML)
  version                   the policy version the board enforces, its last error
  log [N]                   the last N lines of the board's activity log (default 20)
  events [N]                the last N events of the record (default 30)
  restart [admin]           power-cycle the board (or send the admin restart)
  status                    ports, hooks and calls
  help                      this list
  quit                      stop the simulator and leave (also Ctrl-D)`

interface Options {
    firmware?: string
    policy?: string
    ports: string[]
    ring?: RingCadence
    quiet: boolean
    /** Fleet sync: the board connects to this broker for this site. */
    broker?: string
    site?: string
    keyFile?: string
    /** Start an in-process broker on this port first (npm start). */
    embeddedBroker?: number
    /** The simulated wall clock's start (ms since 1970); default: now. */
    startTime?: number
    /** --sip URI and its credentials (sim/sip/options.ts). */
    sip?: string
    sipUser?: string
    sipPassword?: string
    sipLocal?: string
}

function parseArgs(argv: string[]): Options {
    const o: Options = {
        policy: join(ROOT, "sim", "policies", "hq.policy.json"),
        ports: ["8000", "8001", "8101", "8102"],
        quiet: false,
    }
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        const val = () => {
            const v = argv[++i]
            if (v === undefined) throw new SimError(`option ${a} needs a value`)
            return v
        }
        if (a === "--firmware") o.firmware = val()
        else if (a === "--policy") o.policy = val()
        else if (a === "--no-policy") o.policy = undefined
        else if (a === "--ports")
            o.ports = val()
                .split(",")
                .map(s => s.trim())
                .filter(Boolean)
        else if (a === "--quiet") o.quiet = true
        else if (a === "--broker") o.broker = val()
        else if (a === "--site") o.site = val()
        else if (a === "--key") o.keyFile = val()
        else if (a === "--sip") o.sip = val()
        else if (a === "--sip-user") o.sipUser = val()
        else if (a === "--sip-password") o.sipPassword = val()
        else if (a === "--sip-local") o.sipLocal = val()
        else if (a === "--embedded-broker") {
            const v = val()
            if (!/^\d+$/.test(v) || +v > 65535)
                throw new SimError(
                    `bad --embedded-broker ${JSON.stringify(v)} (a port, 0-65535)`
                )
            o.embeddedBroker = +v
        } else if (a === "--start-time") {
            const v = val()
            o.startTime = Date.parse(v)
            if (Number.isNaN(o.startTime))
                throw new SimError(
                    `bad --start-time ${JSON.stringify(v)} (e.g. 2026-11-30T23:59:00+08:00)`
                )
        } else if (a === "--ring") {
            const m = /^(\d+)\/(\d+)$/.exec(val())
            if (!m)
                throw new SimError(
                    "--ring ON/CYCLE in ms, e.g. --ring 300/1000"
                )
            o.ring = { onMs: +m[1], cycleMs: +m[2] }
        } else if (a === "-h" || a === "--help") {
            process.stdout.write(
                "npm run sim -- [--policy FILE | --no-policy] [--ports 8001,8101] [--ring ON/CYCLE] [--firmware FILE] [--quiet]\n" +
                    "               [--broker URL | --embedded-broker PORT] [--site ID] [--key FILE]\n" +
                    "               [--start-time TIME]   the SIP lines' wall clock starts there (default: now), e.g. 2026-11-30T23:59:00+08:00\n" +
                    "               [--sip sip:HOST[:PORT][;transport=tcp] [--sip-user NAME] [--sip-password PW] [--sip-local ADDR]]\n" +
                    "                     real SIP to that server instead of the simulated exchange; the password\n" +
                    "                     better from DIALGUARD_SIP_PASSWORD (never printed)\n\n" +
                    HELP +
                    "\n"
            )
            process.exit(0)
        } else throw new SimError(`unknown option ${a} (try --help)`)
    }
    return o
}

/** Events worth showing live (not the VM console or bookkeeping). */
const LIVE = new Set([
    "tone",
    "ring",
    "dial",
    "answer",
    "hangUp",
    "redirect",
    "incoming",
    "remoteAnswered",
    "remoteHungUp",
    "callFailed",
    "log",
    "forwarded",
    "redirectFailed",
    "callRefused",
    "outsideAnswered",
    "anomaly",
    "vmError",
    "vmExit",
])

class Prompt {
    private rl!: Interface
    private ringing = new Map<string, number>()

    constructor(
        private s: SimSession,
        private opts: Options
    ) {}

    private print(line: string) {
        process.stdout.write("\r\x1b[K" + line + "\n")
        this.rl?.prompt(true)
    }

    /** Live view: rings are summarised ("8001 ring 3") rather than on/off. */
    show(e: SimEvent) {
        if (!LIVE.has(e.kind) || this.opts.quiet) return
        if (e.kind === "ring") {
            if (!e.on) return
            const n = (this.ringing.get(e.ext!) ?? 0) + 1
            this.ringing.set(e.ext!, n)
            return this.print(
                `${formatEvent(e).replace(/ring on=true/, "")}ring ${n}`
            )
        }
        if (e.kind === "incoming") this.ringing.set(e.ext!, 0)
        this.print(formatEvent(e))
    }

    private ext(word: string | undefined): string {
        if (!word) throw new SimError("which extension? (e.g. 8001)")
        this.s.port(word)
        return word
    }

    private async counters(ext: string) {
        const names = [
            ...CALL_CATEGORIES.map(c => `${ext}.calls.${c}`),
            ...CALL_CATEGORIES.map(c => `${ext}.seconds.${c}`),
            ...BLOCKED_CODES.map(c => `${ext}.blocked.${c}`),
            ...INCOMING_OUTCOMES.map(c => `${ext}.incoming.${c}`),
            ...CALLER_OUTCOMES.map(c => `${ext}.caller.${c}`),
        ]
        const rows: string[] = []
        for (const n of names) {
            const v = await this.s.admin.counter(n)
            if (v) rows.push(`  ${n.padEnd(32)} ${v}`)
        }
        this.print(
            rows.length
                ? rows.join("\n")
                : `  all counters of ${ext} are 0 this month`
        )
    }

    private status() {
        const lines = this.s.ports.map(p => {
            const state = this.s.exchange.ringingAt(p)
                ? "ringing"
                : this.s.exchange.callOf(p)
                  ? "in a call"
                  : p.offHook
                    ? "off hook"
                    : "on hook"
            return `  port ${p.index}  ${p.extension}  ${state}`
        })
        const o = this.s.exchange.outside
        lines.push(
            `  outside: ${JSON.stringify(o).replace(/^\{\}$/, "answers after 2000 ms")}`
        )
        this.print(lines.join("\n"))
    }

    async exec(line: string): Promise<boolean> {
        const w = line.trim().split(/\s+/).filter(Boolean)
        if (!w.length) return true
        const s = this.s
        const [cmd, a, b, c] = w
        switch (cmd) {
            case "help":
            case "?":
                this.print(HELP)
                break
            case "quit":
            case "exit":
                return false
            case "lift":
            case "answer": {
                const port = s.port(this.ext(a))
                if (cmd === "answer" && !s.exchange.ringingAt(port))
                    this.print(`  (${a} is not ringing: just lifting it)`)
                await port.hook(true)
                break
            }
            case "hang":
                await s.port(this.ext(a)).hook(false)
                break
            case "press":
            case "dial": {
                const port = s.port(this.ext(a))
                const digits = w.slice(2).join("").replace(/-/g, "")
                if (!/^[0-9*#]+$/.test(digits))
                    throw new SimError("keys are 0-9, * and #")
                if (cmd === "dial") {
                    await port.hook(true)
                    await new Promise(r => setTimeout(r, 300))
                }
                for (const k of digits) {
                    await port.key(k)
                    await new Promise(r => setTimeout(r, 150))
                }
                break
            }
            case "call":
                if (b !== "from" || !c)
                    throw new SimError("usage: call 8001 from 13812345678")
                if (!s.exchange.incomingFromOutside(c, this.ext(a)))
                    this.print(`  ${a} is busy`)
                break
            case "outside":
                if (a === "hangup") {
                    if (!s.exchange.hangUpOutside())
                        this.print("  no call with outside")
                } else if (a === "answer")
                    s.exchange.outside = { answerAfterMs: b ? +b : 2000 }
                else if (a === "busy") s.exchange.outside = { busy: true }
                else if (a === "noanswer")
                    s.exchange.outside = { noAnswer: true }
                else if (a === "unreachable")
                    s.exchange.outside = { unreachable: true }
                else
                    throw new SimError(
                        "usage: outside hangup | answer [MS] | busy | noanswer | unreachable"
                    )
                break
            case "counters":
                await this.counters(this.ext(a))
                break
            case "counter":
                if (!a)
                    throw new SimError("usage: counter 8001.blocked.premium")
                this.print(`  ${a} = ${await s.admin.counter(a)}`)
                break
            case "policy": {
                if (!a) throw new SimError("usage: policy FILE")
                const r = await s.upload("policy", loadJsonOrYaml(a, "policy"))
                this.print(`  ${r.ok ? "applied" : "refused"}: ${r.message}`)
                break
            }
            case "version":
                this.print(
                    `  policy version ${await s.admin.policyVersion()}; last error: ${JSON.stringify(await s.admin.lastError())}`
                )
                break
            case "log": {
                const n = a ? +a : 20
                const lines = s.rec.select("log").slice(-n)
                this.print(
                    lines.map(e => `  ${formatEvent(e)}`).join("\n") ||
                        "  (no log lines yet)"
                )
                break
            }
            case "events": {
                const n = a ? +a : 30
                this.print(
                    s.rec.events
                        .slice(-n)
                        .map(e => "  " + formatEvent(e))
                        .join("\n")
                )
                break
            }
            case "restart":
                if (a === "admin") await s.softRestart()
                else await s.restart()
                await this.ready()
                break
            case "status":
                this.status()
                break
            default:
                throw new SimError(`unknown command '${cmd}' (type help)`)
        }
        return true
    }

    async ready() {
        const missing = await this.s.waitPortsReady()
        if (missing.length)
            this.print(
                `  warning: the firmware has not taken on: ${missing.join(", ")}`
            )
        else
            this.print(
                `  ready: ports ${this.s.ports.map(p => p.extension).join(", ")}`
            )
    }

    run(): Promise<void> {
        this.rl = createInterface({
            input: process.stdin,
            output: process.stdout,
            prompt: "sim> ",
        })
        return new Promise(resolve => {
            let queue = Promise.resolve(true)
            this.rl.on("line", line => {
                queue = queue.then(async go => {
                    if (!go) return false
                    try {
                        go = await this.exec(line)
                    } catch (e) {
                        if (!(e instanceof SimError)) throw e
                        this.print(`  ${e.message}`)
                    }
                    if (!go) this.rl.close()
                    else this.rl.prompt()
                    return go
                })
            })
            this.rl.on("SIGINT", () => this.rl.close())
            this.rl.on("close", () => {
                void queue.then(() => resolve())
            })
            this.rl.prompt()
        })
    }
}

/** The board configuration for fleet sync, starting the embedded broker if asked. */
async function fleet(opts: Options, out: (l: string) => void) {
    if (opts.embeddedBroker === undefined && !opts.broker) return {}
    let broker: EmbeddedBroker | undefined
    let url = opts.broker
    if (opts.embeddedBroker !== undefined) {
        const port = opts.embeddedBroker
        try {
            broker = await startEmbeddedBroker(port, "127.0.0.1")
        } catch (e) {
            const why = listenError(e, "127.0.0.1", port)
            if (!why) throw e
            throw new SimError(
                `cannot start the MQTT broker: ${why}; pick another port: ` +
                    `npm run sim -- --embedded-broker ${port < 65535 ? port + 1 : 1884} --site ${opts.site ?? "hq"}`
            )
        }
        url = broker.url
        out(
            `embedded MQTT broker on ${url} (in memory; use mosquitto or EMQX for a real site)`
        )
    }
    const keyFile = opts.keyFile ?? join(OUT_DIR, "site.key")
    if (!existsSync(keyFile)) {
        mkdirSync(dirname(keyFile), { recursive: true })
        writeFileSync(keyFile, randomBytes(32).toString("hex") + "\n", {
            mode: 0o600,
        })
        out(`new site key in ${keyFile}`)
    }
    const site = opts.site ?? "hq"
    const siteKey = readFileSync(keyFile, "utf8").trim()
    const shown = withoutLogin(url!)
    out(
        `the board syncs with site "${site}"; try in another terminal:\n` +
            `  npx dialguard status --broker ${shown} --site ${site}\n` +
            `  npx dialguard policy push sim/policies/hq.policy.json --broker ${shown} --site ${site} --key ${keyFile}\n` +
            `  npx dialguard report --broker ${shown} --site ${site} --month ${monthOf(Math.floor((opts.startTime ?? Date.now()) / 1000))}`
    )
    return { extra: { site, broker: { url }, siteKey }, broker }
}

async function main() {
    const opts = parseArgs(process.argv.slice(2))
    const out = (l: string) => process.stdout.write(l + "\n")
    const sync = await fleet(opts, out)
    out(
        `starting the simulator (firmware ${opts.firmware ?? "devs/main.ts"}, ports ${opts.ports.join(", ")})...`
    )
    const sip = opts.sip
        ? await sipOptionsFrom(opts.sip, {
              user: opts.sipUser,
              password: opts.sipPassword,
              local: opts.sipLocal,
          })
        : undefined
    if (sip)
        out(
            `SIP: each port registers with sip:${sip.server.host}:${sip.server.port} over ${sip.server.transport.toUpperCase()} from ${sip.localAddress}` +
                (sip.password === undefined ? " (no password)" : "") +
                '; calls from outside come from that server ("call" and "outside" play the simulated exchange only)'
        )
    let prompt: Prompt | undefined
    const session = await SimSession.start({
        sip,
        firmware: opts.firmware,
        ports: opts.ports,
        ring: opts.ring,
        logFile: join(OUT_DIR, "interactive.log"),
        onEvent: e => prompt?.show(e),
        configExtra: sync.extra,
        startTime: opts.startTime,
        busPort: Number(new URL(DEFAULT_BUS).port), // if free
    })
    out(
        session.busUrl === DEFAULT_BUS
            ? `the board's bus: ${session.busUrl} (dialguard flash's default --bus)`
            : `the board's bus: ${session.busUrl} (${DEFAULT_BUS} is taken: dialguard flash --bus ${session.busUrl})`
    )
    prompt = new Prompt(session, opts)
    try {
        if (opts.policy) {
            const r = await session.upload(
                "policy",
                loadJsonOrYaml(opts.policy, "policy")
            )
            out(
                `policy ${opts.policy}: ${r.ok ? "applied" : "refused: " + r.message}`
            )
        }
        await prompt.ready()
        out('type "help" for the commands')
        await prompt.run()
    } finally {
        out("stopping the simulator...")
        await session.stop()
        await sync.broker?.close()
        // npm sip leaves its TCP connections open (120 s idle timeout)
        if (sip) setTimeout(() => process.exit(), 200).unref()
    }
}

main().catch(e => {
    killAllChildren()
    if (!(e instanceof SimError)) throw e
    process.stderr.write(`sim: ${e.message}\n`)
    for (const d of e.details) process.stderr.write(`  ${d}\n`)
    process.exitCode = 1
})
