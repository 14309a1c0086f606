// Fleet sync (src/fleet/PROTOCOL.md): the signed policy comes in from the
// site's broker; the board's state, its counters per month and the
// long-distance call register go out. Started by main.ts only when the
// board configuration names a broker.
import * as ds from "@devicescript/core"
import { randomBuffer } from "@devicescript/crypto"
import { sha256 } from "../crypto/sha256"
import { Board } from "../app/board"
import { configuredKey } from "./boardKey"
import { KeyValueStore } from "../store/chunkedStore"
import { SyncConfig } from "./config"
import { MqttLink } from "./mqttLink"
import { Outbox } from "./outbox"
import {
    crashGuard,
    countersMessage,
    monthsHeld,
    OFFLINE,
    ONLINE,
    MAX_POLICY_LINE,
    openEnvelope,
    Refusal,
    sizeRefusal,
    stateMessage,
    topic,
} from "./protocol"
import { CallRecord, encodeRecord, nextBoot, RecordQueue } from "./recordQueue"

/**
 * Policy messages waiting to be checked (besides the one being checked):
 * a newer one coming in drops the one waiting before it is read in, so the
 * heap holds at most two policy messages however fast they come (the
 * runtime reads the socket as fast as data arrives: the firmware cannot
 * slow the broker down, only drop).
 */
const MAX_PENDING = 1

/** Settings key: the size of the policy message being checked. */
const CHECKING_KEY = "polcheck"
/** Settings key: policy messages this large or larger are refused. */
const LIMIT_KEY = "polmax"
/**
 * Settings key: the size of a message the board restarted on once. Under
 * load a restart can have other causes; only a second one on a message as
 * large (the retained message comes again at every connect) sets the limit.
 */
const STRIKE_KEY = "polstrike"
/**
 * Settings key: the refusal the state reports (JSON), kept across restarts
 * until a later version is applied or the message is taken back.
 */
const REJECTED_KEY = "polrej"

function refusalError(r: Refusal): string {
    return "policy v" + r.version + " refused"
}

/** A wake-up that is not lost when it comes before the wait. */
class Signal {
    private set = false
    private em = ds.emitter<boolean>()
    notify() {
        this.set = true
        this.em.emit(true)
    }
    async wait(ms: number) {
        if (!this.set) await ds.wait(this.em, ms)
        this.set = false
    }
}

export class Sync {
    readonly link: MqttLink
    private board: Board
    private cfg: SyncConfig
    private kv: KeyValueStore
    private queue: RecordQueue
    private outbox: Outbox
    private wake = new Signal()
    private pending: Buffer[][] = []
    private rejected: Refusal
    private version = 0
    private boot = 0
    /** Size of a policy message the board did not survive twice; 0 none. */
    private crashedAt = 0
    /** Size of one it did not survive once; 0 none. */
    private strike = 0
    private seq = 0
    /** Messages signed this start (the low half of their counter "n"). */
    private sent = 0
    /** Policy messages dropped unchecked since the last one applied. */
    private dropped = 0
    /** A policy message is being checked (no other one is read in). */
    private checking = false
    /** SHA-256 (hex) of the last policy message taken, "" none yet. */
    private taken = ""
    /** One came meanwhile and was skipped: subscribe again after. */
    private missed = false
    private saving = false
    private rejDirty = false
    private soon = false
    private marking = false
    private checkMark = 0

    constructor(board: Board, cfg: SyncConfig, kv: KeyValueStore) {
        this.board = board
        this.cfg = cfg
        this.kv = kv
        board.key = configuredKey(cfg, board.config.board)
        this.queue = new RecordQueue(kv)
        const self = this
        const id = board.config.board
        const site = cfg.site
        this.outbox = new Outbox(
            {
                stateTopic: topic(site, id + "/state"),
                callsTopic: topic(site, id + "/calls"),
                countersTopic: m => topic(site, id + "/counters/" + m),
                // (M without its "}": publish)
                state: () => self.state().slice(0, -1),
                counters: m => countersMessage(id, m, board.savedCounters()),
                months: () => monthsHeld(board.savedCounters()),
                record: async slot =>
                    await self.queue.message(slot, board.config.board),
            },
            this.queue,
            () => ds.millis()
        )
        this.link = new MqttLink(
            cfg,
            "dg-" + site + "-" + id,
            {
                topic: topic(site, id + "/online"),
                online: ONLINE,
                offline: OFFLINE,
            },
            topic(site, id + "/policy")
        )
        // (only the board's policy topic is subscribed to)
        this.link.client.onMessage = (t, payload) => self.received(payload)
        this.link.client.admit = bytes => self.admit(bytes)
    }

    async start() {
        const self = this
        // Record ids "<board>-<boot>-<seq>": the boot count is in flash
        // before any record of this boot exists. A fresh flash starts it
        // at a random number (randomBuffer: the hardware RNG on the ESP32,
        // the host's crypto in the simulator; Math.random would not do: the
        // VM seeds it with the same constant at every start).
        const saved = parseInt((await this.kv.read("boot")) || "0")
        this.boot = nextBoot(saved, randomBuffer(6))
        try {
            await this.kv.write("boot", "" + this.boot)
        } catch (e) {
            // not saved: the next start would count the same again
            this.boot = nextBoot(0, randomBuffer(6))
            this.board.error = "boot count not saved: " + (e as Error).message
        }
        // A policy message was being checked when the board went down:
        // from now on refuse messages that large (kept in flash).
        this.crashedAt = parseInt((await this.kv.read(LIMIT_KEY)) || "0")
        this.strike = parseInt((await this.kv.read(STRIKE_KEY)) || "0")
        const crashed = parseInt((await this.kv.read(CHECKING_KEY)) || "0")
        if (crashed > 0) {
            await this.kv.remove(CHECKING_KEY)
            const g = crashGuard(crashed, this.strike, this.crashedAt)
            if (g.limit !== this.crashedAt)
                await this.kv.write(LIMIT_KEY, "" + g.limit)
            if (g.strike) await this.kv.write(STRIKE_KEY, "" + g.strike)
            else await this.kv.remove(STRIKE_KEY)
            this.crashedAt = g.limit
            this.strike = g.strike
            this.board.error =
                "restarted while checking a " + crashed + "-byte policy message"
        }
        // the refusal saved before a restart, reported again (inlined: each
        // function costs the image bytecode)
        const rej = await this.kv.read(REJECTED_KEY)
        if (rej)
            try {
                const r = JSON.parse(rej)
                if (
                    typeof r.version === "number" &&
                    typeof r.reason === "string"
                ) {
                    this.rejected = { version: r.version, reason: r.reason }
                    if (!this.board.error) this.board.error = refusalError(r)
                }
            } catch (e) {
                // not readable: not reported
            }
        // (before the ports are taken on: its 64 flash reads, ~1.5 s, make
        // only garbage, freed in one stretch for the ports' objects; read
        // beside them once left no free block above 520 bytes)
        await this.queue.load()
        this.version = this.board.version
        const board = this.board
        board.onChange = () => {
            if (board.version !== self.version) self.applied()
            self.changed()
        }
        // the state published before the time was known says ts 0
        board.clock.onFirstFix = () => self.changed()
        board.onCountersSaved = months => {
            self.outbox.countersChanged(months)
            self.wake.notify()
        }
        board.onCallRecord = (handset, c) => {
            self.seq++
            // the board's call has the record's fields: completed in place
            // (a copy field by field costs the image bytecode)
            const rec = c as any as CallRecord
            rec.boot = self.boot
            rec.seq = self.seq
            rec.handset = handset
            // as its flash text at once: the record object is let go
            self.addRecord.start(encodeRecord(rec))
        }
        this.link.onUp = () => {
            self.outbox.connected()
            self.wake.notify()
        }
        this.loop.start()
        this.link.run.start()
        board.log(
            "sync: site " +
                this.cfg.site +
                " via " +
                this.cfg.url +
                ", boot " +
                this.boot
        )
    }

    private changed() {
        this.outbox.stateChanged()
        this.wake.notify()
    }

    private applied() {
        this.version = this.board.version
        this.setRejected.start(undefined)
    }

    /**
     * The refusal the state reports, in flash before it returns (the
     * state that names it is published after).
     */
    private async setRejected(r: Refusal) {
        if (r === this.rejected) return
        this.rejected = r
        await this.saveRejected()
    }

    /** One writer at a time, each writing the latest: the last one set stays. */
    private async saveRejected() {
        this.soon = false
        this.rejDirty = true
        if (this.saving) {
            // the writer at work writes this value too before it stops
            while (this.saving) await ds.sleep(5)
            return
        }
        this.saving = true
        while (this.rejDirty) {
            this.rejDirty = false
            const r = this.rejected
            try {
                if (r) await this.kv.write(REJECTED_KEY, JSON.stringify(r))
                else await this.kv.remove(REJECTED_KEY)
            } catch (e) {
                // flash full: reported until the next restart only
            }
        }
        this.saving = false
    }

    /** saveRejected without waiting, and without a fiber per call. */
    private saveRejectedSoon() {
        this.rejDirty = true
        if (this.saving || this.soon) return
        this.soon = true
        this.saveRejected.start()
    }

    private state(): string {
        const b = this.board
        return stateMessage({
            board: b.config.board,
            handsets: b.config.ports,
            policyVersion: b.version,
            policyHash: b.enforcedHash,
            lastError: b.error || this.queue.error,
            rejected: this.rejected,
            ts: b.clock.unix(ds.millis()),
            droppedRecords: this.queue.dropped,
        })
    }

    private async addRecord(rec: string) {
        await this.queue.add(rec)
        this.wake.notify()
    }

    /**
     * The outbox's publisher: every state, counters and call-record
     * message M (a JSON object) leaves signed (src/fleet/PROTOCOL.md,
     * "Signed board messages"): N = ',"n":[boot,count]' (only grows: a
     * later start has a higher boot), sig = HMAC-SHA256 with the board's
     * key of topic + M + N, sent as M without its "}" + N + ',"sig":"…"}'.
     * `p` is M without its "}" already (the outbox's sources make it so):
     * no copy of M on the heap, the HMAC reads the parts where they are
     * and the client sends `p` as it is.
     */
    async publish(t: string, p: string | string[], retain: boolean) {
        const n = ',"n":[' + this.boot + "," + ++this.sent + "]"
        const body = typeof p === "string" ? [p] : p
        const signed = [t]
        for (const s of body) signed.push(s)
        signed.push("}", n)
        body.push(
            n +
                ',"sig":"' +
                sha256(signed, this.board.key).toString("hex") +
                '"}'
        )
        return this.link.up && (await this.link.client.publish(t, body, retain))
    }

    /**
     * The sync's one worker: checks the policy messages that came in, then
     * sends what the outbox holds while connected; sleeps until something
     * changes.
     */
    private async loop() {
        for (;;) {
            let ms = -1
            try {
                while (this.pending.length) await this.checkOne()
                if (this.link.up) ms = await this.outbox.flush(this)
            } catch (e) {
                console.log("sync: " + (e as Error).message)
                ms = 1000
            }
            if (!this.pending.length) await this.wake.wait(ms < 0 ? 60000 : ms)
        }
    }

    /**
     * Whether to read in a policy message of `bytes`. The heap may not
     * hold a large one (reading, checking and compiling it): a flash mark
     * says which size is being worked on, and if the board restarts before
     * it is cleared, messages that large are refused from then on, or the
     * retained message would restart the board over and over. From the
     * socket's receive path: nothing here waits (flash writes go on in a
     * fiber of their own).
     */
    private admit(bytes: number): boolean {
        if (bytes === 0) return true // (a cleared topic: see received)
        const reason = sizeRefusal(bytes, this.crashedAt)
        if (reason) {
            this.markRefused({ version: 0, reason })
            this.saveRejectedSoon()
            this.changed()
            return false
        }
        if (this.checking) {
            // The heap holds the message being checked (its text, parsed)
            // and no second one: this one is skipped; once the check is
            // done the board subscribes again, and the broker sends the
            // retained message of the topic, the one that counts, again.
            this.missed = true
            this.noteDropped()
            return false
        }
        if (this.pending.length >= MAX_PENDING && this.pending[0].length > 0) {
            // the newest counts (as on the broker): the one waiting goes
            // before this one is read in
            this.pending.shift()
            this.noteDropped()
        }
        this.markChecking(bytes)
        return true
    }

    private noteDropped() {
        this.dropped++
        this.board.error =
            this.dropped +
            " policy messages dropped unchecked (they came faster than the board checks them; the latest is checked)"
    }

    /** The size mark in flash, one writer at a time (floods: no fiber per message). */
    private markChecking(bytes: number) {
        this.checkMark = bytes
        if (this.marking) return
        this.marking = true
        this.writeMark.start()
    }

    private async writeMark() {
        let written = -2
        while (this.checkMark !== written) {
            written = this.checkMark
            try {
                if (written) await this.kv.write(CHECKING_KEY, "" + written)
                else await this.kv.remove(CHECKING_KEY)
            } catch (e) {
                // flash full: go on without the mark
            }
        }
        this.marking = false
    }

    private markRefused(r: Refusal) {
        this.rejected = r
        this.board.error = refusalError(r)
        this.board.log("sync: policy v" + r.version + " refused: " + r.reason)
    }

    /** From the MQTT client's receive path: keep it short. */
    private received(payload: Buffer[]) {
        // The message taken last, again (the retained one after every
        // reconnect, while the queued calls go out): answered from the
        // hash of its pieces, without a buffer or text of its size.
        if (
            this.taken &&
            !this.rejected &&
            !this.checking &&
            !this.pending.length &&
            sha256(payload).toString("hex") === this.taken
        )
            return this.changed()
        // (an empty one, a withdrawal, may wait beside it)
        if (this.pending.length > MAX_PENDING) this.pending.shift()
        // Kept as it came: made text only when checked, after the socket's
        // burst of pieces (an allocation of its size in the middle of that
        // burst is the one that fails first)
        this.pending.push(payload)
        this.wake.notify()
    }

    /** One policy message (its own frame: nothing of it stays in the heap). */
    private async checkOne() {
        // The message in lines (a line ends at its "\n": never inside a
        // UTF-8 character), each made text on its own: the header, then
        // the policy text (devs/policy/policyLines.ts). Nothing of the
        // message's size is ever in one piece: the largest free block of a
        // long-running heap may be a fraction of it.
        const lines: string[] = []
        let line: Buffer = undefined
        for (const p of this.pending.shift()) {
            let s = 0
            while (s < p.length) {
                const nl = p.indexOf(10, s)
                const e = nl < 0 ? p.length : nl + 1
                const seg = p.slice(s, e)
                if (!line) line = seg
                else if (line.length < MAX_POLICY_LINE) line = line.concat(seg)
                if (nl >= 0) {
                    lines.push(line.toString())
                    line = undefined
                }
                s = e
            }
        }
        if (line) lines.push(line.toString())
        // An empty retained message clears the topic: policy push took
        // back a message this board refused. Nothing to check.
        if (!lines.length) {
            // the message refused is gone from its topic: the refusal with it
            const r = this.rejected
            if (r) {
                if (this.board.error === refusalError(r)) this.board.error = ""
                await this.setRejected(undefined)
                this.board.log("sync: policy v" + r.version + " withdrawn")
            }
        } else {
            this.checking = true
            try {
                await this.check(lines)
            } finally {
                this.checking = false
            }
        }
        if (this.missed) {
            this.missed = false
            await this.link.resubscribe()
        }
        if (!this.pending.length) {
            // through the mark's writer: a write still under way must not
            // land after the removal
            this.markChecking(0)
            while (this.marking) await ds.sleep(5)
        }
        // Every policy message gets an answer, also when nothing changed.
        this.changed()
    }

    private async check(lines: string[]) {
        const t0 = ds.millis()
        // the whole message, for recognising it when it comes again
        const taken = sha256(lines).toString("hex")
        // The protocol's checks in order: the header, the signature of the
        // policy text (the lines after it), then steps 3 and 4
        // (Board.applySigned). (One function: each one costs the image
        // bytecode.)
        const o = openEnvelope(
            lines.shift(),
            this.cfg.site,
            this.board.config.board
        )
        const env = o.env
        let r = o.refusal
        // A key rotation: the new key, if it opens under the current one
        // (CCM's tag: only the admin can seal one). One that does not (a
        // forgery, cut short, or sealed under a key this board held before:
        // a replay) is left aside, and the text must then verify under the
        // current key.
        let key = this.board.key
        let fresh: Buffer = undefined
        if (env && env.key)
            try {
                const b = Buffer.from(env.key, "hex")
                key = fresh = (b.slice(13) as any).encrypt(
                    "aes-256-ccm",
                    key,
                    b.slice(0, 13),
                    0x1010
                )
            } catch (e) {
                key = this.board.key
            }
        // (compared as HMACs of the two under the key: a plain compare of
        // those says nothing of where the signatures differ)
        if (
            !r &&
            sha256([sha256(lines, key).toString("hex")], key).toString(
                "hex"
            ) !== sha256([env.sig], key).toString("hex")
        )
            r = {
                version: env.version,
                reason: "signature does not match the site key",
            }
        if (!r) {
            const why = await this.board.applySigned(lines, env.version)
            if (why) r = { version: env.version, reason: why }
        }
        if (r) {
            this.markRefused(r)
            return await this.saveRejected()
        }
        if (fresh) {
            // in flash before it is used: the states signed with it say
            // the rotation is done (a restart before: the retained
            // message comes again and is taken again)
            await this.board.saveKey(fresh)
        }
        this.board.error = ""
        // survived and applied: whatever restarts came before, a message
        // that large can be read (and the retained message that caused
        // them has been replaced by this one)
        if (this.strike) {
            this.strike = 0
            await this.kv.remove(STRIKE_KEY)
        }
        if (this.crashedAt > 0) {
            this.crashedAt = 0
            await this.kv.remove(LIMIT_KEY)
        }
        if (this.board.version !== this.version) this.applied()
        this.dropped = 0
        // the message on its topic is one it takes: no refusal stands
        await this.setRejected(undefined)
        this.taken = taken
        this.board.log(
            "sync: policy v" +
                this.version +
                " enforced (" +
                (ds.millis() - t0) +
                " ms)"
        )
    }
}
