// KeyValueStore over the DeviceScript settings service (flash).
// NOT portable: the one store module that imports @devicescript/*.
//
// Values are stored as raw UTF-8 bytes through the `settings` client rather
// than writeSetting/readSetting: their JSON.stringify in the VM escapes each
// UTF-8 byte of non-ASCII text as \u00XX (18 bytes for one Chinese
// character) and readSetting returns those bytes as Latin-1 characters, so
// Chinese text doesn't survive the round trip.
//
// A write that doesn't fit in the settings flash is dropped without an error
// (seen in the simulator: ~36 values of 200 bytes fit), so write() reads the
// value back and throws if it isn't there.

import * as ds from "@devicescript/core"
import { settings } from "@devicescript/settings"
import { KeyValueStore } from "./chunkedStore"

export const MAX_KEY_LENGTH = 13
/**
 * Largest value in bytes. With a 13-character key 218 bytes worked and 219
 * aborted the whole VM (the reply no longer fits one Jacdac packet).
 */
export const MAX_VALUE_BYTES = 216

// The service answers a missing key with an empty value: the prefix tells
// "" apart from missing (and our values from foreign ones).
const MARK = "="

function checkKey(key: string) {
    if (!key || key.length > MAX_KEY_LENGTH)
        throw new RangeError("setting key must be 1-13 characters: " + key)
}

/** How long a `get` waits for its report before asking again. */
const GET_TIMEOUT_MS = 1000
const GET_TRIES = 5

export class SettingsStore implements KeyValueStore {
    /**
     * The `get` report for `key`. Not ds.actionReport: it resumes the
     * reading fiber from the report handler, and a report that arrives
     * before that fiber is suspended (a busy bus, several fibers using
     * flash at once) throws "fiber not suspended" in the handler, which
     * restarts the VM; and it waits for ever for a lost report.
     */
    private async get(key: string): Promise<ds.Packet> {
        const code = settings.spec.lookup("get").code
        let got: ds.Packet = undefined
        const arrived = ds.emitter<ds.Packet>()
        const unsub = settings.report().subscribe(pkt => {
            if (got || pkt.serviceCommand !== code) return
            if (pkt.decode()[0] !== key) return
            got = pkt
            arrived.emit(pkt)
        })
        try {
            for (let i = 0; i < GET_TRIES && !got; ++i) {
                await settings.get(key)
                if (!got) await ds.wait(arrived, GET_TIMEOUT_MS)
            }
        } finally {
            unsub()
        }
        if (!got) throw new Error("setting " + key + " not read: no answer")
        return got
    }

    async read(key: string): Promise<string | undefined> {
        checkKey(key)
        const pkt = await this.get(key)
        const b = pkt.decode()[1] as Buffer
        if (!b || !b.length) return undefined
        const s = b.toString()
        return s.charAt(0) === MARK ? s.slice(1) : undefined
    }

    async write(key: string, value: string): Promise<void> {
        checkKey(key)
        const b = Buffer.from(MARK + value)
        // refuse here: an oversized value would abort the VM, not throw
        if (b.length > MAX_VALUE_BYTES)
            throw new RangeError(
                "setting " + key + " too large: " + b.length + " bytes"
            )
        await settings.set(key, b)
        if ((await this.read(key)) !== value)
            throw new Error(
                "setting " + key + " not stored (settings flash full?)"
            )
    }

    async remove(key: string): Promise<void> {
        checkKey(key)
        await settings.delete(key)
    }
}
