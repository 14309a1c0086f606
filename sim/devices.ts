// Simulated phone ports on the Jacdac bus: one device per handset port,
// each hosting a Handset server and a SipLine server (services/handset.md,
// services/sipline.md) whose `port` register is the port index. What the
// firmware orders (ring, tone, dial, answer, hang_up, redirect) is passed to
// `onCommand`; what the simulated person and line do is sent as events.

import { jd } from "../src/board/jd"
import type {
    JDBus,
    JDServerServiceProvider,
    Packet,
    PackedValues,
} from "../src/board/jd"
import { SimSpecs, ServiceSpec, packet } from "../src/board/specs"

export interface SimClock {
    /** Seconds since 1970 (UTC) the lines report as wall_clock. */
    unixSeconds(): number
    /** Moves the clock on by `ms` at once (a test's days between calls). */
    advance(ms: number): void
}

/**
 * Simulated SIP/NTP time from `startMs` (ms since 1970, UTC), advancing
 * with real time; by default the host's own time, so that what a session
 * counts is under this month.
 */
export function startClock(startMs?: number): SimClock {
    const t0 = Date.now()
    let start = startMs ?? t0
    return {
        unixSeconds: () => Math.floor((start + Date.now() - t0) / 1000),
        advance: ms => {
            start += ms
        },
    }
}

export interface CommandInfo {
    service: "handset" | "sipLine"
    /** The spec's command name: ring, tone, dial, answer, hang_up, redirect. */
    name: string
    values: PackedValues
}

const REG_PORT = 0x180

/** A JDServiceServer for a spec from services.json, commands by name. */
class SpecServer extends jd.JDServiceServer {
    /** When the firmware last read the `port` register (Date.now()), 0 = never. */
    portReadAt = 0

    constructor(
        readonly spec: ServiceSpec,
        registerValues: { code: number; values: PackedValues }[],
        onCommand: (name: string, values: PackedValues) => void
    ) {
        super(spec.classIdentifier, { registerValues })
        for (const p of spec.packets) {
            if (p.kind !== "command" || p.derived) continue
            this.addCommand(p.identifier, (pkt: Packet) => {
                const values = p.packFormat ? pkt.jdunpack(p.packFormat) : []
                onCommand(p.name, values)
            })
        }
    }

    override async handlePacket(pkt: Packet) {
        if (pkt.isRegisterGet && pkt.registerIdentifier === REG_PORT)
            this.portReadAt = Date.now()
        return super.handlePacket(pkt)
    }

    /** Sends event `name` with `values` packed by the spec's format. */
    async event(name: string, values: PackedValues = []) {
        const p = packet(this.spec, "event", name)
        const data = p.packFormat ? jd.jdpack(p.packFormat, values) : undefined
        await this.sendEvent(p.identifier, data)
    }
}

const REG_REGISTRATION = 0x181
const REG_WALL_CLOCK = 0x182
const REGISTERED = 2

/** One handset port of the simulated board. */
export class SimPort {
    readonly handset: SpecServer
    readonly line: SpecServer
    readonly device: JDServerServiceProvider
    /** The handset is off the hook (as the simulated person left it). */
    offHook = false
    private clockTimer: NodeJS.Timeout
    /** Sets the wall_clock register from the clock now (else every 250 ms). */
    readonly refreshClock: () => void

    constructor(
        readonly index: number,
        /** The extension this port serves (the board config's ports[index]). */
        readonly extension: string,
        specs: SimSpecs,
        clock: SimClock,
        onCommand: (port: SimPort, cmd: CommandInfo) => void
    ) {
        this.handset = new SpecServer(
            specs.handset,
            [{ code: REG_PORT, values: [index] }],
            (name, values) =>
                onCommand(this, { service: "handset", name, values })
        )
        this.line = new SpecServer(
            specs.sipLine,
            [
                { code: REG_PORT, values: [index] },
                { code: REG_REGISTRATION, values: [REGISTERED] },
                { code: REG_WALL_CLOCK, values: [clock.unixSeconds()] },
            ],
            (name, values) =>
                onCommand(this, { service: "sipLine", name, values })
        )
        const wallClock = this.line.register(REG_WALL_CLOCK)
        this.refreshClock = () =>
            wallClock.setValues([clock.unixSeconds()], true)
        this.clockTimer = setInterval(this.refreshClock, 250)
        this.device = new jd.JDServerServiceProvider(
            "dialguard-port",
            [this.handset, this.line],
            {
                deviceId: "5e1a" + (0x100000000000 + index).toString(16),
                deviceDescription: `DialGuard simulated port ${index} (${extension})`,
            }
        )
    }

    get deviceId() {
        return this.device.deviceId
    }

    attach(bus: JDBus) {
        bus.addServiceProvider(this.device)
    }

    detach(bus: JDBus) {
        clearInterval(this.clockTimer)
        bus.removeServiceProvider(this.device)
    }

    // What the person at the handset does.
    async hook(offHook: boolean) {
        this.offHook = offHook
        await this.handset.event("hook", [offHook ? 1 : 0])
    }
    async key(k: string) {
        await this.handset.event("key", [k])
    }

    // What the SIP line reports.
    async incomingCall(caller: string, divertedFrom: string, diversions = 0) {
        await this.line.event("incoming_call", [
            caller,
            divertedFrom,
            diversions,
        ])
    }
    async remoteAnswered() {
        await this.line.event("remote_answered")
    }
    async remoteHungUp() {
        await this.line.event("remote_hung_up")
    }
    async callFailed(reason: number) {
        await this.line.event("call_failed", [reason])
    }
    /** The line's registration_state, and registration_changed when it changes. */
    async registration(state: number) {
        const reg = this.line.register(REG_REGISTRATION)
        if (reg.values()[0] === state) return
        reg.setValues([state])
        await this.line.event("registration_changed", [state])
    }
}
