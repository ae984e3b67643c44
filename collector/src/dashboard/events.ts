/** The Events page (stub: being built). */
import type { RegisterPages } from './pages.js'

export const registerEventPages: RegisterPages = () => {}
