import React from "react";
import { Box, Text } from "ink";
import { fit } from "../format.js";
import { useTheme } from "../theme.js";

export interface PaneProps {
  title: string;
  /** Extra text after the title, e.g. a count or the active filter. */
  note?: string;
  width: number;
  height: number;
  focused?: boolean;
  children?: React.ReactNode;
}

/**
 * A bordered box with its title in the top border. Focus shows as a heavy border and a ▶ before
 * the title, so it is visible without colour too.
 */
export function Pane({ title, note, width, height, focused = false, children }: PaneProps): React.JSX.Element {
  const theme = useTheme();
  const borderColor = theme.color(focused ? "cyan" : "gray");
  const [left, fill, right] = focused ? ["┏", "━", "┓"] : ["╭", "─", "╮"];
  const label = fit(`${focused ? "▶ " : ""}${title}${note ? ` · ${note}` : ""}`, Math.max(0, width - 6));
  const top = `${left}${fill} ${label} ${fill.repeat(Math.max(0, width - [...label].length - 5))}${right}`;
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0}>
      <Text color={borderColor} bold={focused} wrap="truncate">
        {top}
      </Text>
      <Box
        flexDirection="column"
        width={width}
        height={height - 1}
        borderStyle={focused ? "bold" : "round"}
        borderTop={false}
        borderColor={borderColor}
        paddingX={1}
        overflow="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}

/** Inner text width of a pane of `width` columns (borders and padding). */
export function innerWidth(width: number): number {
  return Math.max(0, width - 4);
}

/** Rows available for content in a pane of `height` rows (title border and bottom border). */
export function innerHeight(height: number): number {
  return Math.max(0, height - 2);
}
