/** The Install page (stub: being built). */
import type { RegisterPages } from './pages.js'

export const registerInstallPages: RegisterPages = () => {}
