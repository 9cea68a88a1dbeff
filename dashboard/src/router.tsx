import { createBrowserRouter } from 'react-router';
import { GuildLayout, Shell } from './components/layout.tsx';
import { ExpiredPage, LoginPage, NotFoundPage } from './pages/login.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ServersPage } from './pages/servers.tsx';

/*
 * The dashboard's pages. Their paths never begin with an API prefix (`/guilds`, `/oauth`, … see vite.config.ts),
 * so reloading a page is never answered by an API route. Heavier pages load on first visit.
 */
export const router = createBrowserRouter([
	{
		element: <Shell />,
		children: [
			{ path: '/', element: <LoginPage /> },
			{ path: '/expired', element: <ExpiredPage /> },
			{ path: '/servers', element: <ServersPage /> },
			{
				path: '/servers/:guildId',
				element: <GuildLayout />,
				children: [
					{ index: true, element: <OverviewPage /> },
					{ path: 'settings/:plugin?', lazy: async () => ({ Component: (await import('./pages/settings.tsx')).SettingsPage }) },
					{ path: 'mileage', lazy: async () => ({ Component: (await import('./pages/mileage.tsx')).MileagePage }) },
					{ path: 'audit', lazy: async () => ({ Component: (await import('./pages/audit.tsx')).AuditPage }) },
					{ path: 'dailies', lazy: async () => ({ Component: (await import('./pages/dailies.tsx')).FeedsPage }) },
					{ path: 'dailies/posts', lazy: async () => ({ Component: (await import('./pages/dailies-posts.tsx')).PostsPage }) }
				]
			},
			{
				path: '/leaderboard/:guildId',
				lazy: async () => ({ Component: (await import('./pages/public-leaderboard.tsx')).PublicLeaderboardPage })
			},
			{ path: '*', element: <NotFoundPage /> }
		]
	}
]);
