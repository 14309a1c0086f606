// The board's own key (32 bytes): it checks the signatures of the policy
// messages for this board, and other parts of the firmware may
// authenticate with it (HMAC). Each board of a site holds a different one,
// HKDF-SHA256(site key, "dialguard board key " + board id): a stolen
// board's key signs nothing for the others. Set by the sync at start (key
// rotation over MQTT is not built yet: issue 13).
import { hkdf } from "../crypto/sha256"
import { BOARD_KEY_INFO, SyncConfig } from "./config"

let current: Buffer = undefined

/** The board's key; undefined on a board without a site (no sync configured). */
export function boardKey(): Buffer {
    return current
}

export function setBoardKey(key: Buffer) {
    current = key
}

/** The key a configuration gives the board `board`. */
export function configuredKey(cfg: SyncConfig, board: string): Buffer {
    if (cfg.boardKey) return Buffer.from(cfg.boardKey, "hex")
    return hkdf(Buffer.from(cfg.siteKey, "hex"), BOARD_KEY_INFO + board)
}
