/** Roles, in increasing power: viewers read, editors write, admins also manage tokens. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `has` is at least `needs`. */
export const allows = (has: Role, needs: Role): boolean => ROLES.indexOf(has) >= ROLES.indexOf(needs);
