// One simulator session, one simulated board: its private bus and firmware
// VM (bus.ts), the simulated ports (devices.ts) on a jacdac-ts bus over the
// bus's own TCP port, the exchange, the admin client and the record. Used by
// the scenario runner and the interactive prompt; any number of sessions can
// run side by side, in one process or in several (each its own bus, VM,
// flash, JDBus).

import { jd, tcpTransport } from "../src/board/jd"
import type { JDBus, JDDevice } from "../src/board/jd"
import { AdminClient, UploadKind } from "../src/board/admin"
import { SimBus, VM_DEVICE_ID } from "./bus"
import type { FirmwareBuild } from "./build"
import { SimClock, SimPort, startClock } from "./devices"
import { Exchange } from "./exchange"
import { Recorder, SimEvent } from "../src/board/record"
import { SimSpecs, loadSpecs } from "../src/board/specs"
import { SimError } from "../src/board/errors"
import { quietConsole } from "./quiet"
import { LineBackend, SipLines } from "./sip/lines"
import type { SipLineOptions } from "./sip/options"

export interface RingCadence {
    onMs: number
    cycleMs: number
}

/** China: 1 s on / 4 s off, one ring per 5 s cycle. */
export const CHINA_RING: RingCadence = { onMs: 1000, cycleMs: 5000 }

export interface SessionOptions {
    /** Firmware entry relative to the project root (default devs/main.ts). */
    firmware?: string
    /** Extensions of the simulated ports: ports[i] is served by port i. */
    ports: string[]
    ring?: RingCadence
    board?: string
    /** Log of the build, the bus, the VM console and jacdac-ts chatter. */
    logFile: string
    /** Simulated wall clock start (ms since 1970, UTC); default: now. */
    startTime?: number
    /** Each recorded event, as it happens (verbose and interactive modes). */
    onEvent?: (e: SimEvent) => void
    keepWorkDir?: boolean
    /** A firmware build to share with other sessions (else each builds its own). */
    build?: FirmwareBuild
    /** The VM's device id (default VM_DEVICE_ID). */
    deviceId?: string
    /** The bus's TCP port on 127.0.0.1 if free (default: any free port; see busUrl). */
    busPort?: number
    /**
     * More board configuration, e.g. the fleet sync's
     * `{site, broker: {url}, siteKey}` (devs/sync/config.ts).
     */
    configExtra?: Record<string, unknown>
    /**
     * false: leave the board as it comes (no configuration, fail closed),
     * for a provisioning tool to configure it (`dialguard flash`).
     */
    provision?: boolean
    /**
     * Shared by the boards of a site (sim/site.ts): one exchange routes
     * calls between every board's ports, one record holds every event
     * (extensions are unique in a site). Default: the session's own.
     */
    exchange?: Exchange
    rec?: Recorder
    /**
     * The ports' SIP Lines speak real SIP to this server (sim/sip/) instead
     * of the simulated exchange.
     */
    sip?: SipLineOptions
}

const ADMIN_TIMEOUT_MS = 20000
const BIND_TIMEOUT_MS = 10000
/** After every port is taken on, before the first step. */
const SETTLE_MS = 300

export class SimSession {
    readonly rec: Recorder
    bus!: SimBus
    jdbus!: JDBus
    specs!: SimSpecs
    ports: SimPort[] = []
    exchange!: Exchange
    /** Where the ports' SIP Line orders go: the exchange, or real SIP. */
    lines!: LineBackend
    /** With `sip`: the user agents. */
    sip?: SipLines
    admin!: AdminClient
    clock!: SimClock
    /** Problems seen along the way: VM panics, unexpected exits. */
    readonly problems: string[] = []
    private restoreConsole?: () => void

    private constructor(readonly opts: SessionOptions) {
        this.rec = opts.rec ?? new Recorder()
        if (opts.onEvent) this.rec.on("event", opts.onEvent)
    }

    /**
     * Time moves on by `ms` for the board and its lines alike: the firmware
     * VM's clock and the wall clock the SIP lines report. An hour's call
     * without waiting for it: the VM's time goes in steps of 1.5 s, ~2 ms
     * each (sim/vmWorker.mjs). Resolves once the VM has it.
     */
    async advanceTime(ms: number): Promise<void> {
        this.clock.advance(ms)
        await this.bus.vmClock({ advanceMs: ms })
    }

    /**
     * The wall clock the SIP lines report moves on by `ms` at once (the days
     * between calls); the board takes it at its next reading, once a minute
     * of its own time counted in its ticks (advanceTime(120000) brings that
     * about at once).
     */
    advanceWallClock(ms: number) {
        this.clock.advance(ms)
        for (const p of this.ports) p.refreshClock()
    }

    /**
     * Holds the firmware's clock (true) until let go (false): held, it runs
     * at a tenth of the pace (the VM steps only as its time passes) and
     * moves on by advanceTime(), so that a call talks that long to the
     * second. Its timeouts take ten times as long.
     */
    async holdTime(hold: boolean): Promise<void> {
        await this.bus.vmClock({ hold })
    }

    /** The board id it was configured with. */
    get board(): string {
        return this.opts.board ?? "sim-1"
    }

    /** In a site, the board's events name it (else they need not). */
    private get tag(): { board?: string } {
        return this.opts.rec ? { board: this.board } : {}
    }

    get config() {
        const ring = this.opts.ring ?? CHINA_RING
        return {
            board: this.board,
            ports: this.opts.ports,
            ringOnMs: ring.onMs,
            ringCycleMs: ring.cycleMs,
            ...this.opts.configExtra,
        }
    }

    /**
     * Starts everything with a clean flash, uploads the board configuration
     * (unless `provision` is false) and restarts the firmware (a
     * configuration takes effect at the next start); the firmware then has
     * no policy (fail closed) until a policy is uploaded.
     */
    static async start(opts: SessionOptions): Promise<SimSession> {
        const s = new SimSession(opts)
        try {
            await s.init()
        } catch (e) {
            await s.stop()
            throw e
        }
        return s
    }

    private async init() {
        const { rec, opts } = this
        this.restoreConsole = quietConsole(opts.logFile)
        this.bus = await SimBus.start({
            firmware: opts.firmware,
            logFile: opts.logFile,
            build: opts.build,
            keepWorkDir: opts.keepWorkDir,
            deviceId: opts.deviceId,
            busPort: opts.busPort,
            onVmLine: line => {
                rec.add("vm", { line, ...this.tag })
                // The runtime prints "start: <program>" each time the
                // program (re)starts, after stopping the previous run.
                if (/^start: /.test(line)) {
                    this.programStarts++
                    this.programStartBusTime = this.jdbus?.timestamp ?? 0
                }
                if (/\bpanic\b|unhandled exception|exception:/i.test(line)) {
                    this.problems.push(`firmware: ${line}`)
                    rec.add("vmError", { line, ...this.tag })
                }
            },
            onVmExit: code => {
                this.problems.push(
                    `the firmware VM exited on its own (code ${code})`
                )
                rec.add("vmExit", { code, ...this.tag })
            },
        })
        rec.add("started", {
            ...this.tag,
            firmware: this.bus.firmware,
            timings: JSON.stringify(this.bus.timings),
        })
        this.specs = loadSpecs(this.bus.servicesFile)
        this.jdbus = new jd.JDBus(
            [tcpTransport("127.0.0.1", this.bus.hub.port)],
            {
                services: this.specs.all,
            }
        )
        this.jdbus.autoConnect = true
        this.clock = startClock(opts.startTime)
        this.exchange = opts.exchange ?? new Exchange(rec, this.specs)
        if (opts.sip) this.sip = new SipLines(rec, this.exchange, opts.sip)
        this.lines = this.sip ?? this.exchange
        this.ports = opts.ports.map(
            (ext, i) =>
                new SimPort(i, ext, this.specs, this.clock, (p, cmd) =>
                    this.lines.onCommand(p, cmd)
                )
        )
        if (opts.exchange) this.exchange.addPorts(this.ports)
        else this.exchange.setPorts(this.ports)
        for (const p of this.ports) p.attach(this.jdbus)
        this.admin = new AdminClient(this.jdbus, this.specs, rec, {
            logFields: this.tag,
        })
        this.watchForeignVms()
        await this.jdbus.connect()
        await this.sip?.start(this.ports)
        await this.freshStart()
    }

    /**
     * The VM with an empty flash, as from the factory; configured (unless
     * `provision` is false) and restarted into the configuration.
     */
    private async freshStart() {
        await this.boot(() => this.bus.startVm({ clearFlash: true }))
        this.rec.add("ready", {
            ...this.tag,
            vmStartMs: this.bus.timings.vmStart,
        })
        if (this.opts.provision === false) return
        const r = await this.admin.upload("config", this.config)
        if (!r.ok)
            throw new SimError(
                `the firmware refused the board configuration: ${r.message}`
            )
        await this.softRestart()
    }

    /**
     * Anything can connect to the bus's TCP port: another DeviceScript VM
     * (`devs run --tcp` on a simulator that took 8082) would bind our ports.
     */
    private watchForeignVms() {
        this.jdbus.on(jd.DEVICE_ANNOUNCE, (dev: JDDevice) => {
            const vm = dev.services({
                serviceClass: jd.SRV_DEVICE_SCRIPT_MANAGER,
            })
            if (!vm.length || dev.deviceId === this.deviceId) return
            this.problems.push(
                `another DeviceScript VM (${dev.deviceId}) joined the bus (at ${this.busUrl})`
            )
            this.rec.add("foreignVm", { deviceId: dev.deviceId })
        })
    }

    /** When the firmware (re)started, Date.now(). */
    private startedAt = 0
    /** How many times the VM printed "start: ...", and the bus time of the last. */
    private programStarts = 0
    /** How many times the program started (each restart, a crash's too). */
    get starts() {
        return this.programStarts
    }
    private programStartBusTime = 0

    /**
     * Runs `start` (which starts or restarts the firmware), waits for the
     * program to start anew, then for its DialguardAdmin service heard from
     * since then (not the previous run's).
     */
    private async boot(start: () => Promise<void>) {
        const before = this.programStarts
        this.startedAt = Date.now()
        await start()
        const started = await this.rec.until(
            () => (this.programStarts > before ? true : undefined),
            ADMIN_TIMEOUT_MS,
            50
        )
        if (!started)
            throw new SimError(
                `the firmware did not start within ${ADMIN_TIMEOUT_MS / 1000} s (see ${this.opts.logFile})`
            )
        await this.admin.waitReady(ADMIN_TIMEOUT_MS, this.programStartBusTime)
    }

    /** Where `dialguard flash --bus` reaches this board: tcp://127.0.0.1:PORT. */
    get busUrl() {
        return this.bus.url
    }

    /** The device id of the firmware VM. */
    get deviceId() {
        return this.opts.deviceId ?? VM_DEVICE_ID
    }

    port(ext: string): SimPort {
        const p = this.ports.find(p => p.extension === ext)
        if (!p) {
            const known = this.ports.map(p => p.extension).join(", ")
            throw new SimError(
                `no simulated port serves extension ${ext} (ports: ${known})`
            )
        }
        return p
    }

    async upload(kind: UploadKind, json: unknown) {
        return this.admin.upload(kind, json)
    }

    /**
     * Port services the firmware has not taken on since it (re)started: not
     * bound to one of its roles, or their `port` register never read (the
     * firmware must read it to know which port a service is).
     */
    unreadyPorts(): string[] {
        const roles = this.jdbus.roleManager?.roles ?? []
        const since = this.startedAt
        const missing: string[] = []
        for (const p of this.ports)
            for (const [what, srv] of [
                ["handset", p.handset],
                ["line", p.line],
            ] as const) {
                const bound = roles.some(
                    r =>
                        r.deviceId === p.deviceId &&
                        r.serviceIndex === srv.serviceIndex
                )
                if (!bound) missing.push(`${p.extension} ${what} (not bound)`)
                else if (srv.portReadAt < since)
                    missing.push(`${p.extension} ${what} (port never read)`)
            }
        return missing
    }

    /**
     * Waits until the firmware has taken on every simulated port, then a
     * short settling time; resolves to what is still missing after the
     * timeout ([] when all is well).
     */
    async waitPortsReady(timeoutMs = BIND_TIMEOUT_MS): Promise<string[]> {
        const ok = await this.rec.until(
            () => (this.unreadyPorts().length ? undefined : true),
            timeoutMs,
            100
        )
        const missing = ok ? [] : this.unreadyPorts()
        if (ok) await new Promise(r => setTimeout(r, SETTLE_MS))
        this.rec.add("portsReady", {
            ...this.tag,
            ...(missing.length ? { missing: missing.join(", ") } : {}),
        })
        return missing
    }

    /** The board's people put their handsets down, its calls with outside end. */
    private resetPeople() {
        for (const p of this.ports) p.offHook = false
        this.exchange.hangUpOutside(undefined, this.ports)
    }

    /** Power-cycles the board: kills the VM process and starts it again (flash kept). */
    async restart() {
        await this.powerOff()
        await this.powerOn()
    }

    /** Kills the VM process: the board is gone (its flash is kept). */
    async powerOff() {
        this.rec.add("restart", { ...this.tag, how: "power" })
        this.resetPeople()
        await this.bus.stopVm()
    }

    /** Starts the VM process again with its flash (after powerOff). */
    async powerOn() {
        await this.boot(() => this.bus.startVm())
        this.rec.add("ready", {
            ...this.tag,
            vmStartMs: this.bus.timings.vmStart,
        })
    }

    /**
     * The board flashed anew: the VM restarted with an empty flash (no
     * policy, counters, queued records or boot count), then configured
     * as at the start.
     */
    async freshFlash() {
        this.rec.add("restart", { ...this.tag, how: "fresh flash" })
        this.resetPeople()
        await this.bus.stopVm()
        await this.freshStart()
    }

    /** The admin `restart` command: the firmware restarts itself in the same VM. */
    async softRestart() {
        this.rec.add("restart", { ...this.tag, how: "admin" })
        this.resetPeople()
        await this.boot(() => this.admin.restart())
        this.rec.add("ready", this.tag)
    }

    async stop() {
        try {
            if (!this.opts.exchange) this.exchange?.stop()
            await this.sip?.stop()
            this.admin?.dispose()
            for (const p of this.ports) p.detach(this.jdbus)
            await this.jdbus?.disconnect()
            this.jdbus?.stop()
        } catch {
            // tearing down: nothing to report
        }
        await this.bus?.stop()
        this.restoreConsole?.()
    }
}
