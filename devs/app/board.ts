// The board: its configuration, the policy it enforces, its counters, and
// the handset ports. Everything here survives a restart through flash:
// configuration, the last good policy and the counters are stored with
// ChunkedStore (crash-safe two-slot writes).
//
// Policies come two ways: the local admin upload (the provisioning path:
// it sets any version, also a lower one, e.g. to recover a board) and the
// site's broker (applySigned: only forward, devs/sync). Either way a
// policy is validated and compiled, stored, then enforced; after a
// restart the last stored one is enforced, with or without a network.
import * as ds from "@devicescript/core"
import { SequentialWorker } from "@devicescript/runtime"
import { sha256 } from "../crypto/sha256"
import { Decision } from "../engine/dialSession"
import { Category } from "../numbering/categories"
import { hoursAt } from "../policy/officeRules"
import { AuthCode, Policy } from "../policy/types"
import { CallCounters, CallerOutcome, IncomingOutcome } from "../phone/counters"
import {
    HandsetPort,
    PortCall,
    PortRecorder,
    RuleEvent,
} from "../phone/handsetPort"
import { ChunkedStore } from "../store/chunkedStore"
import { SettingsStore } from "../store/settingsStore"
import { AdminBackend } from "./adminServer"
import { BoardConfig, guardConfig } from "./boardConfig"
import { WallClock } from "./clock"
import {
    checkPolicyText,
    compile,
    failClosedPolicy,
    LoadedPolicy,
    portPolicy,
} from "./policyLoader"
import { cut } from "../text/cut"

const UPLOAD_POLICY = 1
const UPLOAD_CONFIG = 2

/** A board nobody has provisioned: one port, no extension, fail closed. */
const UNPROVISIONED: BoardConfig = {
    board: "unprovisioned",
    ports: [""],
    ring: { onMs: 1000, cycleMs: 5000 },
    callSecondMs: 1000,
}

const pause = async () => {
    await ds.sleep(0)
}

function mismatch(said: number, version: number): string {
    return "the policy says version " + said + ", the message " + version
}

/** sha256 hex of a text in pieces. */
function hashOf(text: string[]): string {
    return sha256(text).toString("hex")
}

export class Board implements AdminBackend, PortRecorder {
    config: BoardConfig = UNPROVISIONED
    loaded: LoadedPolicy
    ports: HandsetPort[] = []
    clock = new WallClock()
    /**
     * The board's own key (devs/sync/boardKey.ts, set by the sync): the
     * authorization codes of its policy are HMACs with it (`dialguard
     * policy push` makes them per board). None without a site: no code
     * entry, a refused call stays refused.
     */
    key: Buffer = undefined
    counters = new CallCounters()
    log: (line: string) => void = line => console.log(line)
    /**
     * Counters as last saved to flash (JSON text: a second set of counter
     * objects would cost the heap kilobytes): what may be published.
     */
    private savedText = ""

    /** The counters as last saved to flash. */
    savedCounters(): CallCounters {
        return this.savedText
            ? CallCounters.fromJSON(JSON.parse(this.savedText))
            : new CallCounters()
    }
    /** Hooks for the sync (devs/sync/sync.ts); unset on a board without a broker. */
    onChange: () => void
    onCountersSaved: (months: string[]) => void
    /** Every call's record (CDR), times in Unix seconds (0 = unknown). */
    onCallRecord: (ext: string, r: PortCall) => void
    error = ""
    /** sha256 of the configuration text started with ("" until booted, or none). */
    /** sha256 hex of the configuration the board started with; "" while starting. */
    cfgHash = ""
    /** sha256 hex of the enforced policy's text ("" when failing closed). */
    /** sha256 hex of the enforced policy's text ("" when failing closed). */
    enforcedHash = ""
    private policyBusy = false
    /** The enforced policy's version (0 failing closed). */
    version = 0
    private changedMonths: string[] = []
    private kv = new SettingsStore()
    private cfgStore = new ChunkedStore(this.kv, "cfg")
    private polStore = new ChunkedStore(this.kv, "pol")
    private cntStore = new ChunkedStore(this.kv, "cnt")
    private saver = new SequentialWorker()
    private savePending = false

    /** Reads configuration, last good policy and counters from flash. */
    async boot() {
        const cfgText = await this.cfgStore.load()
        let cfgHash = ""
        if (cfgText) {
            const v = guardConfig(JSON.parse(cfgText))
            if (v.config) {
                this.config = v.config
                cfgHash = hashOf([cfgText])
            }
        }
        const cnt = await this.cntStore.load()
        if (cnt) {
            this.counters = CallCounters.fromJSON(JSON.parse(cnt))
            this.savedText = cnt
        }
        await this.reload()
        // Set last: a provisioning tool that sees it may upload a policy.
        this.cfgHash = cfgHash
        this.log(
            "board " +
                this.config.board +
                " policy v" +
                this.version +
                " ports " +
                this.config.ports.join(",")
        )
    }

    /** Enforces what flash holds: the last good policy, else fail closed. */
    private async reload() {
        const pol = await this.polStore.loadPieces()
        let loaded: LoadedPolicy = undefined
        if (pol) {
            try {
                // (a board re-flashed with another id keeps no share cut
                // for the old one)
                const policy = await this.checkText(pol)
                loaded = await compile(policy, this.config.ports, pause)
            } catch (e) {
                this.error = "stored policy unusable: " + (e as Error).message
            }
        }
        if (loaded) this.enforce(loaded, hashOf(pol))
        else this.enforce(await failClosedPolicy(this.config.ports, pause), "")
    }

    private enforce(loaded: LoadedPolicy, hash: string) {
        this.loaded = loaded
        this.version = loaded.policy.version
        this.enforcedHash = hash
        for (const p of this.ports)
            p.setPolicy(this.portPolicy(loaded, p.extension))
    }

    /** What port `ext` enforces, with the issue 12 hooks (codes, hours). */
    private portPolicy(loaded: LoadedPolicy, ext: string) {
        const pp = portPolicy(loaded, ext)
        const policy = loaded.policy
        const site = policy.site
        const codes = policy.authCodes
        const self = this
        if (codes && codes.length && this.key)
            pp.checkCode = (code: string) => self.checkCode(codes, code)
        const hours = site.hours
        if (hours)
            pp.hoursAt = (now: number) => hoursAt(hours, self.clock.unix(now))
        return pp
    }

    private checkCode(codes: AuthCode[], code: string): AuthCode | undefined {
        const mac = sha256([code], this.key).toString("hex")
        // (a plain compare: at a keypad a few ns of timing say nothing)
        return codes.find(c => c.hmac === mac)
    }

    /** The port serving extension index `i` of the configuration. */
    addPort(port: HandsetPort) {
        // (while a policy is being compiled it gets one when that is done)
        if (this.loaded)
            port.setPolicy(this.portPolicy(this.loaded, port.extension))
        this.ports.push(port)
    }

    tick(now: number) {
        for (const p of this.ports) p.tick(now)
    }

    // --- AdminBackend

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
        this.changed()
        return why
    }

    /**
     * A SIP line's registration state (SipLineRegistrationState) changed:
     * a failed registration is the board's lastError (on its state topic)
     * until that line registers again.
     */
    lineRegistration(ext: string, state: number) {
        const why = "SIP registration failed for " + ext
        if (state === 3 && this.error !== why) {
            this.error = why
            this.log(why)
            this.changed()
        } else if (state === 2 && this.error === why) {
            this.error = ""
            this.log("SIP registered again: " + ext)
            this.changed()
        }
    }

    private changed() {
        if (this.onChange) this.onChange()
    }

    /** The admin upload: any valid policy, whatever its version. */
    private async applyPolicy(text: string) {
        await this.lockPolicy()
        try {
            await this.replace([text], -1)
        } finally {
            this.policyBusy = false
        }
    }

    private async lockPolicy() {
        while (this.policyBusy) await ds.sleep(20)
        this.policyBusy = true
    }

    /** checkPolicyText, and a board policy must be cut for this board. */
    private async checkText(text: string[]) {
        const policy = await checkPolicyText(text, pause)
        if (policy.board !== undefined && policy.board !== this.config.board)
            throw new Error(
                "board policy for board " +
                    policy.board +
                    ", this is " +
                    this.config.board
            )
        return policy
    }

    /**
     * Validates, compiles, stores, then enforces `text` (which must say
     * `version`, unless -1); throws Error(why not), and then what flash
     * holds is enforced again. The old plan is let go first: the 64 KB heap
     * is not compacted, and holding the old plan while the new one is
     * checked and compiled left it too fragmented for the next message
     * (measured in the simulator). Meanwhile (a fraction of a second) a
     * lifted handset gets the busy tone.
     */
    private async replace(text: string[], version: number) {
        // the old plan's trie becomes the new one's (PackedTrie)
        const spare = this.loaded ? this.loaded.plan.trie.buf : undefined
        this.loaded = undefined
        for (const p of this.ports) p.setPolicy(undefined)
        try {
            const policy = await this.checkText(text)
            if (version >= 0 && policy.version !== version)
                throw new Error(mismatch(policy.version, version))
            const loaded = await compile(
                policy,
                this.config.ports,
                pause,
                spare
            )
            await this.polStore.save(text)
            this.enforce(loaded, hashOf(text))
        } catch (e) {
            await this.reload()
            throw e
        }
    }

    /**
     * A policy from the site's broker, signature already checked: steps 3
     * and 4 of src/fleet/PROTOCOL.md. Resolves to "" when it is enforced
     * now (applied, or the very text already enforced), else why not.
     */
    async applySigned(text: string[], version: number): Promise<string> {
        await this.lockPolicy()
        try {
            const cur = this.version
            if (version === cur && hashOf(text) === this.enforcedHash) return ""
            if (version > cur) {
                await this.replace(text, version)
                this.log("policy v" + version + " applied from the broker")
                return ""
            }
            // refused whatever it holds; the reason in the protocol's order
            const policy = await this.checkText(text)
            if (policy.version !== version)
                return mismatch(policy.version, version)
            if (version < cur) return "older than version " + cur
            return (
                "version " +
                cur +
                " is already enforced with other content (replayed or forged)"
            )
        } catch (e) {
            return (e as Error).message
        } finally {
            this.policyBusy = false
        }
    }

    /** A new configuration (ports, cadence) takes effect at the next start. */
    private async applyConfig(text: string) {
        let raw: any
        try {
            raw = JSON.parse(text)
        } catch (e) {
            throw new Error("config is not valid JSON")
        }
        const v = guardConfig(raw)
        if (!v.config) throw new Error("invalid config: " + v.errors.join("; "))
        await this.cfgStore.save(text)
    }

    /**
     * The board's new key (a rotation over MQTT): in its configuration
     * (which from then on holds no site key) before it is used.
     */
    async saveKey(key: Buffer) {
        const cfg = JSON.parse(await this.cfgStore.load())
        cfg.boardKey = key.toString("hex")
        cfg.siteKey = undefined
        await this.cfgStore.save(JSON.stringify(cfg))
        this.key = key
        this.log("sync: board key replaced")
    }

    counter(name: string): number {
        // "8001.calls.domestic", "8001.blocked.premium", "8001.incoming.onTime",
        // "8001.seconds.local", "8001.caller.late"
        const parts = cut(name, ".")
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

    outgoing(
        ext: string,
        category: Category,
        number: string,
        seconds: number,
        d?: Decision
    ) {
        const m = this.month()
        this.counters.recordCall(ext, m, category, seconds)
        if (d && d.private) {
            this.counters.recordRule(ext, m, "privateCalls", 1)
            this.counters.recordRule(ext, m, "privateSeconds", seconds)
        }
        this.save()
    }

    rule(ext: string, what: RuleEvent) {
        this.counters.recordRule(ext, this.month(), what, 1)
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

    callEnded(ext: string, outcome: CallerOutcome) {
        this.counters.recordCaller(ext, this.month(), outcome)
        this.save()
    }

    call(ext: string, c: PortCall) {
        if (!this.onCallRecord) return
        // the port's ms as Unix seconds, in place (a copy costs bytecode)
        const clock = this.clock
        c.start = clock.unix(c.start)
        c.answered = clock.unix(c.answered)
        c.end = clock.unix(c.end)
        this.onCallRecord(ext, c)
    }

    /**
     * Coalesces saves: one pending write covers every change before it
     * starts. Once saved, the months it changed may be published.
     */
    private save() {
        const m = this.month()
        if (this.changedMonths.indexOf(m) < 0) this.changedMonths.push(m)
        if (this.savePending) return
        this.savePending = true
        const self = this
        this.saver.queue(async () => {
            self.savePending = false
            const months = self.changedMonths
            self.changedMonths = []
            const text = JSON.stringify(self.counters.toJSON())
            try {
                await self.cntStore.save(text)
            } catch (e) {
                self.error = "counters not saved: " + (e as Error).message
                for (const m of months) self.changedMonths.push(m)
                self.changed()
                return
            }
            self.savedText = text
            if (self.onCountersSaved) self.onCountersSaved(months)
        })
    }
}
