/**
 * Reloading the policy file on SIGHUP or when it changes. A new policy is put
 * in force whole: requests already decided keep their decision, open streams
 * and tunnels go on, the next request on every connection gets the new one.
 * An invalid file keeps the policy in force and says why at `err`.
 */
import type { Logger } from "../log/log.ts";
import { PolicyFileError, policyFromText } from "../config/policy_file.ts";
import type { LoadOptions } from "../policy/policy_loader.ts";
import type { Policy } from "../policy/profile.ts";
import { after } from "../timer.ts";

const SETTLE_MS = 100;

export interface ReloadTarget {
  readonly policy: Policy;
  /** Puts `policy` in force (once what it needs is loaded, when that is asynchronous). */
  setPolicy(policy: Policy): void | Promise<void>;
}

export class PolicyReloader {
  #file: string;
  #options: LoadOptions;
  #target: ReloadTarget;
  #logger: Logger;
  #text: string | null = null;
  #watcher: Deno.FsWatcher | null = null;
  #watching: Promise<void> | null = null;
  #pending: (() => void) | null = null;
  #reloading: Promise<boolean> = Promise.resolve(true);
  /** Reloads so far, and how many failed, for metrics and tests. */
  loaded = 0;
  failed = 0;

  constructor(file: string, options: LoadOptions, target: ReloadTarget, logger: Logger) {
    this.#file = file;
    this.#options = options;
    this.#target = target;
    this.#logger = logger;
  }

  /** Watches the file's directory (editors and Kubernetes replace files rather than write them). */
  start(initialText: string | null): void {
    this.#text = initialText;
    const directory = this.#file.slice(0, this.#file.lastIndexOf("/")) || "/";
    try {
      this.#watcher = Deno.watchFs(directory, { recursive: false });
    } catch (error) {
      this.#logger.warning(
        `Cannot watch ${directory} for changes of the policy file (reload it with SIGHUP): ` +
          (error as Error).message,
      );
      return;
    }
    this.#watching = (async () => {
      try {
        for await (const _event of this.#watcher!) {
          // Editors write in several steps: reload once they have settled.
          this.#pending?.();
          this.#pending = after(SETTLE_MS, () => {
            this.#pending = null;
            this.reload("file changed", true);
          });
        }
      } catch {
        // Closed.
      }
    })();
  }

  async stop(): Promise<void> {
    this.#pending?.();
    this.#pending = null;
    try {
      this.#watcher?.close();
    } catch {
      // Closed.
    }
    await this.#watching;
    await this.#reloading;
  }

  /**
   * Loads the file and puts it in force. `onlyIfChanged`: skip when its text
   * is what is in force. Resolves whether the policy in force is the file's.
   */
  reload(reason: string, onlyIfChanged = false): Promise<boolean> {
    this.#reloading = this.#reloading.then(() => this.#load(reason, onlyIfChanged));
    return this.#reloading;
  }

  async #load(reason: string, onlyIfChanged: boolean): Promise<boolean> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#file);
    } catch (error) {
      this.failed++;
      this.#logger.error(
        `Policy not reloaded (${reason}): cannot read ${this.#file}: ${(error as Error).message}` +
          "; the policy in force stays",
      );
      return false;
    }
    if (onlyIfChanged && text === this.#text) return true;
    try {
      const policy = await policyFromText(text, this.#file, this.#options);
      this.#text = text;
      await this.#target.setPolicy(policy);
      this.loaded++;
      this.#logger.notice(`Policy reloaded (${reason}) from ${this.#file}`, {
        profiles: policy.profiles.map((profile) => profile.name).join(", "),
      });
      return true;
    } catch (error) {
      if (!(error instanceof PolicyFileError)) throw error;
      this.failed++;
      this.#text = text;
      this.#logger.error(
        `Policy not reloaded (${reason}): ${error.message}; the policy in force stays`,
      );
      return false;
    }
  }
}
