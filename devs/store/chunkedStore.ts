// A string of any length in a small key-value store (DeviceScript settings:
// keys ≤ 13 characters, values ≤ ~218 bytes) that survives a restart in the
// middle of a save.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.
//
// Crash safety: two slots, "a" and "b". Each holds chunks `<name><slot><i>`
// and a header `<name><slot>h` = "<generation>:<chunk count>:<hash>", where
// the hash is FNV-1a over the generation and the chunks. save() writes into
// the slot that does NOT hold the current value: header removed first, then
// the chunks, then the header LAST. A crash leaves that slot without a header
// or with chunks that don't match it, so load() falls back to the other slot
// (the old value). load() takes the newest slot whose chunks match its
// header. The chunk count in the header keeps stale chunks of a longer old
// value out; they are also deleted after the header is written.
//
// One writer per name: save() refuses to run while another save is running.
//
// VM budgets: the work between two store operations is one chunk (≤ 200
// characters), so the per-slice opcode limit holds for any length as long as
// every KeyValueStore operation yields (SettingsStore's are packet round
// trips). Flash holds up to twice the value (both slots); load() briefly
// holds it twice in the heap (chunks + joined string). Keep values to a few
// KB: the simulator's settings hold ~7 KB in all.

import { cut } from "../text/cut"

export interface KeyValueStore {
    /** undefined when the key is missing. */
    read(key: string): Promise<string | undefined>
    /** Resolves once the value is stored; throws if it could not be. */
    write(key: string, value: string): Promise<void>
    remove(key: string): Promise<void>
}

/** Longest store name: name + slot + 6-digit chunk index ≤ 13 characters. */
export const MAX_NAME_LENGTH = 6
export const MAX_CHUNK_CHARS = 200
/**
 * Bound on a chunk's UTF-8 size. The settings service aborts the whole VM
 * past ~218 bytes of value (13-character key), so Chinese text (3 bytes a
 * character) gets 66 characters a chunk.
 */
export const MAX_CHUNK_BYTES = 200

const FNV_OFFSET = 2166136261
const FNV_PRIME = 16777619

/**
 * FNV-1a (32 bit) over character codes, continuing from `h`. Character
 * codes, not bytes: UTF-16 units in Node, code points in the VM; a hash is
 * only ever compared in the runtime that computed it.
 */
export function fnv1a(s: string, h?: number): number {
    let r = h === undefined ? FNV_OFFSET : h
    for (let i = 0; i < s.length; ++i) {
        r = Math.imul(r ^ s.charCodeAt(i), FNV_PRIME) >>> 0
    }
    return r
}

/** UTF-8 bytes of one character code (a lone UTF-16 surrogate counts 3). */
function utf8Bytes(c: number): number {
    if (c < 0x80) return 1
    if (c < 0x800) return 2
    if (c < 0x10000) return 3
    return 4
}

function isHighSurrogate(c: number): boolean {
    return c >= 0xd800 && c <= 0xdbff
}

/** End (exclusive) of the chunk starting at `start`. */
export function chunkEnd(s: string, start: number): number {
    let bytes = 0
    let i = start
    while (i < s.length && i - start < MAX_CHUNK_CHARS) {
        const b = utf8Bytes(s.charCodeAt(i))
        if (bytes + b > MAX_CHUNK_BYTES) break
        bytes += b
        i++
    }
    // never split a UTF-16 surrogate pair (Node only; the VM has code points)
    if (i < s.length && i - 1 > start && isHighSurrogate(s.charCodeAt(i - 1)))
        i--
    return i
}

interface Header {
    gen: number
    count: number
    hash: number
}

/** A non-negative integer written exactly as `"" + n` would, else -1. */
function parseNat(s: string): number {
    const n = parseInt(s)
    return n >= 0 && "" + n === s ? n : -1
}

function parseHeader(s: string | undefined): Header | undefined {
    if (s === undefined) return undefined
    const parts = cut(s, ":")
    if (parts.length !== 3) return undefined
    const gen = parseNat(parts[0])
    const count = parseNat(parts[1])
    const hash = parseNat(parts[2])
    if (gen < 0 || count < 0 || hash < 0) return undefined
    return { gen, count, hash }
}

const SLOTS = ["a", "b"]

export class ChunkedStore {
    private kv: KeyValueStore
    private name: string
    /** Slot holding the value load() returns; -1 = none; undefined = not looked yet. */
    private current: number | undefined
    /** Highest generation seen in any header. */
    private maxGen: number
    private saving: boolean

    constructor(kv: KeyValueStore, name: string) {
        if (!name || name.length > MAX_NAME_LENGTH)
            throw new RangeError("store name must be 1-6 characters")
        this.kv = kv
        this.name = name
        this.current = undefined
        this.maxGen = 0
        this.saving = false
    }

    private headerKey(slot: number): string {
        return this.name + SLOTS[slot] + "h"
    }

    private chunkKey(slot: number, i: number): string {
        return this.name + SLOTS[slot] + i
    }

    /** The slot's chunks if they match its header, else undefined. */
    private async readSlot(
        slot: number,
        h: Header
    ): Promise<string[] | undefined> {
        const parts: string[] = []
        let hash = fnv1a(h.gen + ":")
        for (let i = 0; i < h.count; ++i) {
            const c = await this.kv.read(this.chunkKey(slot, i))
            if (c === undefined) return undefined
            hash = fnv1a(c, hash)
            parts.push(c)
        }
        return hash === h.hash ? parts : undefined
    }

    /** Returns the newest intact value; undefined if there is none. */
    async load(): Promise<string | undefined> {
        const parts = await this.loadPieces()
        return parts ? parts.join("") : undefined
    }

    /**
     * The newest intact value in the pieces it is stored in (of at most
     * MAX_CHUNK_BYTES; a piece given to save is never joined with the
     * next), undefined if there is none.
     */
    async loadPieces(): Promise<string[] | undefined> {
        const headers: (Header | undefined)[] = []
        for (let slot = 0; slot < SLOTS.length; ++slot) {
            const h = parseHeader(await this.kv.read(this.headerKey(slot)))
            headers.push(h)
            if (h && h.gen > this.maxGen) this.maxGen = h.gen
        }
        // newest first; on a tie slot "a"
        const a = headers[0]
        const b = headers[1]
        const order = b && (!a || b.gen > a.gen) ? [1, 0] : [0, 1]
        for (const slot of order) {
            const h = headers[slot]
            if (!h) continue
            const v = await this.readSlot(slot, h)
            if (v !== undefined) {
                this.current = slot
                return v
            }
        }
        this.current = -1
        return undefined
    }

    /**
     * Stores `value` (whole or in pieces, each chunked on its own); once
     * this resolves, load() returns it even after a restart.
     */
    async save(value: string | string[]): Promise<void> {
        if (this.saving)
            throw new Error("ChunkedStore " + this.name + ": concurrent save")
        this.saving = true
        try {
            if (this.current === undefined) await this.load()
            const slot = this.current === 0 ? 1 : 0
            const gen = this.maxGen + 1
            await this.kv.remove(this.headerKey(slot))
            let hash = fnv1a(gen + ":")
            let count = 0
            for (const piece of typeof value === "string" ? [value] : value) {
                let start = 0
                while (start < piece.length) {
                    const end = chunkEnd(piece, start)
                    const chunk = piece.slice(start, end)
                    hash = fnv1a(chunk, hash)
                    await this.kv.write(this.chunkKey(slot, count), chunk)
                    count++
                    start = end
                }
            }
            await this.kv.write(
                this.headerKey(slot),
                gen + ":" + count + ":" + hash
            )
            this.current = slot
            this.maxGen = gen
            await this.removeStale(slot, count)
        } finally {
            this.saving = false
        }
    }

    /** Deletes the value and every key of this store (headers first). */
    async clear(): Promise<void> {
        if (this.saving)
            throw new Error("ChunkedStore " + this.name + ": clear during save")
        for (let slot = 0; slot < SLOTS.length; ++slot)
            await this.kv.remove(this.headerKey(slot))
        this.current = -1
        for (let slot = 0; slot < SLOTS.length; ++slot)
            await this.removeStale(slot, 0)
    }

    /**
     * Deletes chunks past `count` left by a longer older value: finds the
     * last one, then deletes downwards so that an interrupted cleanup leaves
     * no gap (the next cleanup of this slot finds the rest).
     */
    private async removeStale(slot: number, count: number) {
        try {
            let end = count
            while ((await this.kv.read(this.chunkKey(slot, end))) !== undefined)
                end++
            for (let i = end - 1; i >= count; --i)
                await this.kv.remove(this.chunkKey(slot, i))
        } catch (e) {
            // the value is committed; leftovers are ignored and retried later
        }
    }
}
