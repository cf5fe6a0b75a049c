/** Group ids for unix listeners' `group=` option: numeric, or a name looked up in /etc/group. */

export const GROUP_FILE = "/etc/group";

/**
 * The id of `group`: itself when numeric, else its entry in `groupFile`, the
 * text of /etc/group (`null` when it cannot be read, as in a scratch image).
 * Throws naming the group and what would work.
 */
export function groupId(group: string, groupFile: string | null): number {
  if (/^[0-9]+$/.test(group)) {
    const id = Number(group);
    if (id > 0xfffffffe) throw new Error(`Group id out of range: ${group} (want 0 to 4294967294)`);
    return id;
  }
  if (groupFile === null) {
    throw new Error(
      `Cannot look up group ${group}: ${GROUP_FILE} is not readable (give the numeric group id)`,
    );
  }
  for (const line of groupFile.split("\n")) {
    // name:password:gid:members
    const fields = line.split(":");
    if (fields.length >= 3 && fields[0] === group && /^[0-9]+$/.test(fields[2])) {
      return Number(fields[2]);
    }
  }
  throw new Error(`Unknown group ${group}: not in ${GROUP_FILE} (give the numeric group id)`);
}
