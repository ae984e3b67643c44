<?php
/**
 * Runs integrations/woocommerce/clickrelay.php under php-cli with stand-ins for the little of
 * WordPress and WooCommerce it touches: add_action/do_action, the order's update_meta_data(),
 * $_COOKIE as WordPress hands it over (slashed), and WooCommerce's FeaturesUtil.
 *
 * Reads one scenario as JSON on stdin: {"hook": "...", "cookie": <value>} ("cookie" absent: no
 * cr_vid cookie). Loads the plugin, fires before_woocommerce_init, then fires the hook with a
 * fresh order and saves it as WooCommerce does, and prints what happened as JSON.
 */

namespace Automattic\WooCommerce\Utilities {
	class FeaturesUtil {
		public static $declared = array();

		public static function declare_compatibility( $feature, $plugin_file, $compatible ) {
			self::$declared[ $feature ] = array( basename( $plugin_file ), $compatible );
		}
	}
}

namespace {
	error_reporting( E_ALL );
	set_error_handler(
		function ( $severity, $message, $file, $line ) {
			throw new ErrorException( $message, 0, $severity, $file, $line );
		}
	);

	define( 'ABSPATH', __DIR__ . '/' );

	$hooks = array();

	function add_action( $hook, $callback, $priority = 10, $accepted_args = 1 ) {
		global $hooks;
		$hooks[ $hook ][] = array( $callback, $accepted_args );
		return true;
	}

	/** As WordPress does: each callback gets only as many arguments as it asked for (one by default). */
	function do_action( $hook, ...$args ) {
		global $hooks;
		foreach ( isset( $hooks[ $hook ] ) ? $hooks[ $hook ] : array() as list( $callback, $accepted_args ) ) {
			call_user_func_array( $callback, array_slice( $args, 0, $accepted_args ) );
		}
	}

	/** The part of WC_Order the plugin uses, plus save() to show the meta is in place when WooCommerce saves. */
	class Stub_Order {
		public $meta  = array();
		public $saved = null;

		public function update_meta_data( $key, $value ) {
			$this->meta[ $key ] = $value;
		}

		public function save() {
			$this->saved = $this->meta;
		}
	}

	$scenario = json_decode( stream_get_contents( STDIN ), true );
	if ( array_key_exists( 'cookie', $scenario ) ) {
		$_COOKIE['cr_vid'] = $scenario['cookie'];
	}
	$_COOKIE['other'] = 'left alone';
	// wp_magic_quotes(): WordPress adds slashes to every request superglobal, cookies included.
	array_walk_recursive(
		$_COOKIE,
		function ( &$value ) {
			if ( is_string( $value ) ) {
				$value = addslashes( $value );
			}
		}
	);

	require __DIR__ . '/../woocommerce/clickrelay.php';

	do_action( 'before_woocommerce_init' );

	$order = new Stub_Order();
	// The hooks' second argument: the posted checkout data (classic) or the Store API request (block).
	do_action( $scenario['hook'], $order, new stdClass() );
	$order->save();

	echo json_encode(
		array(
			'hooks'    => array_keys( $hooks ),
			'saved'    => (object) $order->saved,
			'declared' => (object) \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared,
		)
	);
}
