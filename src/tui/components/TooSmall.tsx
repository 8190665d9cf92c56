import React from "react";
import { Text } from "ink";

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

/** One line only: anything more would wrap and scroll on a terminal this small. */
export function TooSmall({ columns, rows }: { columns: number; rows: number }): React.JSX.Element {
  return (
    <Text wrap="truncate">
      resize to at least {MIN_COLUMNS}x{MIN_ROWS} (now {columns}x{rows})
    </Text>
  );
}
