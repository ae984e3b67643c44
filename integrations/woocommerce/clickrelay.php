<?php
/**
 * Plugin Name:       ClickRelay for WooCommerce
 * Description:       Copies ClickRelay's visitor ID (the cr_vid cookie) into each new order as the meta _cr_vid, so the order webhook links the purchase to the shopper's TikTok ad click.
 * Version:           0.1.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * Requires Plugins:  woocommerce
 * License:           MIT
 *
 * The only PHP in ClickRelay, and one file on purpose: upload it as wp-content/plugins/clickrelay.php
 * (or zip it and use Plugins > Add New > Upload) and activate it. It has no settings and does one
 * thing: at checkout, classic or block, it copies the cr_vid cookie that ClickRelay's cr.js sets
 * into the order's meta under _cr_vid. WooCommerce's order webhook then carries it in meta_data,
 * and the collector links the order to the visitor's clicks. It sends nothing anywhere, reads no
 * other cookie and stores nothing else.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit; // Loaded by WordPress only.
}

/** The cookie cr.js keeps the visitor ID in (common/wire.ts VISITOR_COOKIE). */
const CLICKRELAY_COOKIE = 'cr_vid';
/** The order meta key the collector reads from the webhook's meta_data. The leading _ hides it from the order's custom fields box. */
const CLICKRELAY_META_KEY = '_cr_vid';
/** A visitor ID (common/wire.ts VISITOR_ID_PATTERN): 16 to 64 of [A-Za-z0-9_-]. \z, not $, so a trailing newline fails. */
const CLICKRELAY_VISITOR_ID = '/^[A-Za-z0-9_-]{16,64}\z/';

/**
 * The visitor ID from the request's cr_vid cookie, or null when there is none or it is not one.
 * Anything that fails the pattern is refused whole, never cleaned up: a valid ID has no character
 * WordPress's slashing of $_COOKIE would touch.
 */
function clickrelay_visitor_id() {
	$value = isset( $_COOKIE[ CLICKRELAY_COOKIE ] ) ? $_COOKIE[ CLICKRELAY_COOKIE ] : null;
	return is_string( $value ) && preg_match( CLICKRELAY_VISITOR_ID, $value ) ? $value : null;
}

/**
 * Writes the visitor ID into the order before WooCommerce saves it (both hooks below run just
 * before the order's save()).
 *
 * @param WC_Order $order The order being created.
 */
function clickrelay_copy_visitor_id( $order ) {
	$visitor_id = clickrelay_visitor_id();
	if ( null !== $visitor_id && is_object( $order ) && method_exists( $order, 'update_meta_data' ) ) {
		$order->update_meta_data( CLICKRELAY_META_KEY, $visitor_id );
	}
}

// Classic checkout ([woocommerce_checkout] shortcode): fires in WC_Checkout::create_order().
add_action( 'woocommerce_checkout_create_order', 'clickrelay_copy_visitor_id' );
// Block checkout (Store API POST /wc/store/v1/checkout): fires in update_order_from_request().
add_action( 'woocommerce_store_api_checkout_update_order_from_request', 'clickrelay_copy_visitor_id' );

// Tell WooCommerce this plugin works with its order tables (HPOS) and the block checkout: it only
// uses $order->update_meta_data(). Without this WooCommerce lists the plugin as incompatible.
add_action(
	'before_woocommerce_init',
	function () {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', __FILE__, true );
		}
	}
);
