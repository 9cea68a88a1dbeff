import { type CSSVariablesResolver, createTheme, type MantineColorsTuple } from '@mantine/core';

/** Discord's blurple, as a Mantine scale (6 is the brand colour itself). */
const blurple: MantineColorsTuple = [
	'#eef0ff',
	'#dcdfff',
	'#b6bcfb',
	'#8d96f7',
	'#6b75f4',
	'#5865f2',
	'#4752c4',
	'#3c45a5',
	'#323a8a',
	'#272d6b'
];

/** Discord's dark greys (Mantine's `dark` scale: 7 is the page, 6 cards, 8 the sidebar). */
const dark: MantineColorsTuple = [
	'#dbdee1',
	'#b5bac1',
	'#949ba4',
	'#80848e',
	'#4e5058',
	'#3f4147',
	'#2b2d31',
	'#313338',
	'#1e1f22',
	'#111214'
];

/** The dashboard's Mantine theme: Discord-like, dark by default (light follows the same accents). */
export const theme = createTheme({
	primaryColor: 'blurple',
	primaryShade: { light: 6, dark: 5 },
	colors: { blurple, dark },
	fontFamily: '"gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif',
	defaultRadius: 'md',
	headings: { fontWeight: '700' }
});

/** Links readable on both schemes (WCAG AA: Discord's blurple itself is too dark on its dark greys). */
export const cssVariables: CSSVariablesResolver = () => ({
	variables: {},
	light: { '--mantine-color-anchor': blurple[6] },
	dark: { '--mantine-color-anchor': blurple[2] }
});
