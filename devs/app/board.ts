// The board: its configuration, the policy it enforces, its counters, and
// the handset ports. Everything here survives a restart through flash:
// configuration, the last good policy and the counters are stored with
// ChunkedStore (crash-safe two-slot writes).
import * as ds from "@devicescript/core"
import { SequentialWorker } from "@devicescript/runtime"
import { Decision } from "../engine/dialSession"
import { Category } from "../numbering/categories"
import { CallCounters, IncomingOutcome } from "../phone/counters"
import { HandsetPort, PortRecorder } from "../phone/handsetPort"
import { ChunkedStore } from "../store/chunkedStore"
import { SettingsStore } from "../store/settingsStore"
import { AdminBackend } from "./adminServer"
import { BoardConfig, validateConfig } from "./boardConfig"
import { WallClock } from "./clock"
import {
    failClosedPolicy,
    LoadedPolicy,
    loadPolicy,
    portPolicy,
} from "./policyLoader"

const UPLOAD_POLICY = 1
const UPLOAD_CONFIG = 2

/** A board nobody has provisioned: one port, no extension, fail closed. */
const UNPROVISIONED: BoardConfig = {
    board: "unprovisioned",
    ports: [""],
    ring: { onMs: 1000, cycleMs: 5000 },
}

const pause = async () => {
    await ds.sleep(0)
}

export class Board implements AdminBackend, PortRecorder {
    config: BoardConfig = UNPROVISIONED
    loaded: LoadedPolicy
    ports: HandsetPort[] = []
    clock = new WallClock()
    counters = new CallCounters()
    log: (line: string) => void = line => console.log(line)
    private error = ""
    private kv = new SettingsStore()
    private cfgStore = new ChunkedStore(this.kv, "cfg")
    private polStore = new ChunkedStore(this.kv, "pol")
    private cntStore = new ChunkedStore(this.kv, "cnt")
    private saver = new SequentialWorker()
    private savePending = false

    /** Reads configuration, last good policy and counters from flash. */
    async boot() {
        const cfgText = await this.cfgStore.load()
        if (cfgText) {
            const v = validateConfig(JSON.parse(cfgText))
            if (v.config) this.config = v.config
        }
        const cnt = await this.cntStore.load()
        if (cnt) this.counters = CallCounters.fromJSON(JSON.parse(cnt))
        const pol = await this.polStore.load()
        if (pol) {
            try {
                this.loaded = await loadPolicy(pol, this.config.ports, pause)
            } catch (e) {
                this.error = "stored policy unusable: " + (e as Error).message
            }
        }
        if (!this.loaded)
            this.loaded = await failClosedPolicy(this.config.ports, pause)
        this.log(
            "board " +
                this.config.board +
                " policy v" +
                this.loaded.policy.version +
                " ports " +
                this.config.ports.join(",")
        )
    }

    /** The port serving extension index `i` of the configuration. */
    addPort(port: HandsetPort) {
        port.setPolicy(portPolicy(this.loaded, port.extension))
        this.ports.push(port)
    }

    tick(now: number) {
        for (const p of this.ports) p.tick(now)
    }

    // --- AdminBackend

    policyVersion() {
        return this.loaded.policy.version
    }

    lastError() {
        return this.error
    }

    async apply(kind: number, text: string): Promise<string> {
        let why = ""
        try {
            if (kind === UPLOAD_POLICY) await this.applyPolicy(text)
            else if (kind === UPLOAD_CONFIG) await this.applyConfig(text)
            else why = "unknown upload kind " + kind
        } catch (e) {
            why = (e as Error).message
        }
        this.error = why
        this.log(why ? "upload refused: " + why : "upload applied")
        return why
    }

    /** Validate, compile, store, then enforce: a bad policy changes nothing. */
    private async applyPolicy(text: string) {
        const loaded = await loadPolicy(text, this.config.ports, pause)
        await this.polStore.save(text)
        this.loaded = loaded
        for (const p of this.ports) p.setPolicy(portPolicy(loaded, p.extension))
    }

    /** A new configuration (ports, cadence) takes effect at the next start. */
    private async applyConfig(text: string) {
        let raw: any
        try {
            raw = JSON.parse(text)
        } catch (e) {
            throw new Error("config is not valid JSON")
        }
        const v = validateConfig(raw)
        if (!v.config) throw new Error("invalid config: " + v.errors.join("; "))
        await this.cfgStore.save(text)
    }

    counter(name: string): number {
        // "8001.calls.domestic", "8001.blocked.premium", "8001.incoming.onTime", "8001.seconds.local"
        const parts = name.split(".")
        if (parts.length !== 3) return 0
        const snap: any = this.counters.snapshot(
            parts[0],
            this.clock.month(ds.millis())
        )
        const group = snap[parts[1]]
        const v = group ? group[parts[2]] : undefined
        return typeof v === "number" ? v : 0
    }

    // --- PortRecorder: count, then save to flash in the background

    private month() {
        return this.clock.month(ds.millis())
    }

    outgoing(ext: string, category: Category, number: string, seconds: number) {
        this.counters.recordCall(ext, this.month(), category, seconds)
        this.save()
    }

    blocked(ext: string, d: Decision) {
        this.counters.recordBlocked(ext, this.month(), d.code)
        this.save()
    }

    incoming(ext: string, outcome: IncomingOutcome) {
        this.counters.recordIncoming(ext, this.month(), outcome)
        this.save()
    }

    /** Coalesces saves: one pending write covers every change before it starts. */
    private save() {
        if (this.savePending) return
        this.savePending = true
        const self = this
        this.saver.queue(async () => {
            self.savePending = false
            await self.cntStore.save(JSON.stringify(self.counters.toJSON()))
        })
    }
}
