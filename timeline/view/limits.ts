// Sizes shared by the view and its host.

/** Above this many events in the visible window, a paged trace is drawn as density (not fetched). */
export const WINDOW_LIMIT = 50_000;
