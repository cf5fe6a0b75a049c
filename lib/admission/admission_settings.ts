// Placeholder until the admission module lands.
export interface AdmissionSettings {
  hostAccess: boolean;
  maxBodyBytes: number;
}
export const ADMISSION_SETTING_NAMES: readonly string[] = ["HOST_ACCESS", "MAX_BODY_SIZE"];
export class SettingError extends Error {
  constructor(readonly setting: string, message: string) {
    super(message);
  }
}
export function parseAdmissionSettings(
  values: Readonly<Record<string, unknown>>,
  defaults: { hostAccess: boolean },
): AdmissionSettings {
  const v = values.HOST_ACCESS;
  return {
    hostAccess: v === undefined ? defaults.hostAccess : v === true || v === 1 || v === "1",
    maxBodyBytes: 1 << 20,
  };
}
