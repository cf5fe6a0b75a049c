/**
 * Read-only access to one commit of a git repository (bare or not) through the
 * `git` command: the generator reads its sources at their HEAD commit, never
 * from a work tree.
 */

const decoder = new TextDecoder();

export class GitSnapshot {
  readonly dir: string;
  readonly commit: string;

  private constructor(dir: string, commit: string) {
    this.dir = dir;
    this.commit = commit;
  }

  /** Opens `dir` at its `HEAD` commit. */
  static async open(dir: string): Promise<GitSnapshot> {
    const commit = (await git(dir, ["rev-parse", "--verify", "HEAD^{commit}"])).trim();
    return new GitSnapshot(dir, commit);
  }

  /** The text of `path` at the commit. */
  show(path: string): Promise<string> {
    return git(this.dir, ["show", `${this.commit}:${path}`]);
  }

  /** Whether `path` (a file or folder) exists at the commit. */
  async exists(path: string): Promise<boolean> {
    const out = await git(this.dir, ["ls-tree", "--name-only", this.commit, "--", path]);
    return out.trim() !== "";
  }

  /** The paths of the files directly in folder `dir` at the commit. */
  async list(dir: string): Promise<string[]> {
    const out = await git(this.dir, ["ls-tree", "--name-only", this.commit, "--", dir + "/"]);
    return out.split("\n").filter((line) => line !== "");
  }

  /** The commit's date, `YYYY-MM-DD`. */
  async date(): Promise<string> {
    return (await git(this.dir, ["show", "-s", "--format=%cs", this.commit])).trim();
  }
}

async function git(dir: string, args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args: ["-C", dir, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const detail = decoder.decode(output.stderr).trim();
    throw new Error(`git ${args.join(" ")} failed in ${dir}: ${detail}`);
  }
  return decoder.decode(output.stdout);
}
