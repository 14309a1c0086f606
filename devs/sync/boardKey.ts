// The board's own key (32 bytes, Board.key): it checks the signatures of
// the policy messages for this board and signs what the board publishes.
// Each board of a site holds a different one, HKDF-SHA256(site key,
// "dialguard board key " + board id): a stolen board's key signs nothing
// for the others. A key rotation over MQTT replaces it (Sync.check).
import { hkdf } from "../crypto/sha256"
import { BOARD_KEY_INFO, SyncConfig } from "./config"

/** The key a configuration gives the board `board`. */
export function configuredKey(cfg: SyncConfig, board: string): Buffer {
    if (cfg.boardKey) return Buffer.from(cfg.boardKey, "hex")
    return hkdf(Buffer.from(cfg.siteKey, "hex"), BOARD_KEY_INFO + board)
}
