// CDK entry point (`cdk.json` runs it): synthesizes SwitchyardStateful and SwitchyardStateless.
import { buildApp } from './switchyard.app.ts';

buildApp().app.synth();
